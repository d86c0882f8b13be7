"""OpenAPI serializers of the recommendation answers (documentation only: the selectors build
the payloads)."""

from rest_framework import serializers

from catalog.schema import ProductOutput


class TogetherOutput(ProductOutput):
    class Meta:
        ref_name = "BoughtTogetherProduct"

    lift = serializers.FloatField(
        help_text="How many times more often it shares an order with the product than chance "
        "would have it; under the cart, the sum over the cart's products."
    )
    orders_together = serializers.IntegerField(
        help_text="Paid orders that held both (under the cart, summed likewise)."
    )


class UsualOutput(ProductOutput):
    class Meta:
        ref_name = "UsualItem"

    times_bought = serializers.IntegerField(help_text="The customer's paid orders that held it.")


class ProductRecommendationsOutput(serializers.Serializer):
    product_id = serializers.CharField()
    bought_together = TogetherOutput(many=True)


class CartRecommendationsOutput(serializers.Serializer):
    usual = UsualOutput(
        many=True, help_text="The signed-in customer's repeat purchases not in the cart."
    )
    bought_together = TogetherOutput(many=True)
