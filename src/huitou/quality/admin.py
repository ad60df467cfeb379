from django.contrib import admin

from .models import QualitySettings, SamplingPlan, Scorecard, ScorecardItem


class ScorecardItemInline(admin.TabularInline):
    model = ScorecardItem
    extra = 0


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = ["name", "active", "builtin"]
    inlines = [ScorecardItemInline]


@admin.register(SamplingPlan)
class SamplingPlanAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "percent", "active"]
    filter_horizontal = ["inspectors"]


@admin.register(QualitySettings)
class QualitySettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "repeat_days"]
