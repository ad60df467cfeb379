import factory

from huitou.core.numbering import next_number
from huitou.customers.models import Customer
from huitou.customers.phones import phone_digits


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    number = factory.LazyFunction(lambda: next_number(prefix="C"))
    name = factory.Faker("name", locale="zh_CN")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    phone_digits = factory.LazyAttribute(lambda o: phone_digits(o.phone))
    tier = "C"
    stage = "current"
