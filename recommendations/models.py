from django.db import models

from catalog.models import Product


class BoughtTogether(models.Model):
    """One product often bought with another: the top few per product, by lift (see
    recommendations.services). The whole table is replaced at once by each recompute."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    recommended = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()  # 1 is the strongest
    lift = models.FloatField()
    support = models.FloatField()  # the share of all orders holding both
    orders = models.PositiveIntegerField()  # how many orders held both
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["product", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "rank"], name="bought_together_one_per_rank"
            ),
            models.UniqueConstraint(
                fields=["product", "recommended"], name="bought_together_once_per_pair"
            ),
        ]

    def __str__(self):
        return f"{self.product_id} → {self.recommended_id} (lift {self.lift:.2f})"
