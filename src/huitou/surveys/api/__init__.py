"""/api/v1/surveys and /api/v1/satisfaction: one router per part, joined here."""

from ninja import Router

from .analysis import router as analysis_router
from .distribution import router as distribution_router
from .evaluation import router as evaluation_router
from .questionnaires import router as questionnaires_router
from .rating import router as rating_router

router = Router()
router.add_router("/satisfaction", rating_router)
router.add_router("/satisfaction", analysis_router)
router.add_router("/surveys", questionnaires_router)
router.add_router("/surveys", distribution_router)
router.add_router("/surveys", evaluation_router)
