"""Explicit response shapes of the statistics endpoints, for the OpenAPI contract (docs/interfaces.md section 3)."""

from rest_framework import serializers

from reporting.dimensions import DIMENSIONS, YEAR_BASES


class StatsRowSerializer(serializers.Serializer):
    """One cell: one key per dimension in `by`, and the count (null when suppressed)."""

    count = serializers.IntegerField(allow_null=True, min_value=0, help_text="Null when suppressed.")
    suppressed = serializers.BooleanField(required=False, help_text="Present, and true, when the count is hidden.")

    def get_fields(self):
        """A key for each dimension of the registry (reporting/dimensions.py), then the count."""
        keys = {
            name: serializers.CharField(required=False, help_text=dimension.help_text)
            for name, dimension in DIMENSIONS.items()
        }
        return {**keys, **super().get_fields()}


class StatsTotalSerializer(serializers.Serializer):
    count = serializers.IntegerField(allow_null=True, min_value=0)
    suppressed = serializers.BooleanField(required=False)


class StatsResponseSerializer(serializers.Serializer):
    by = serializers.ListField(child=serializers.ChoiceField(choices=list(DIMENSIONS)))
    year_basis = serializers.ChoiceField(choices=YEAR_BASES)
    threshold = serializers.IntegerField(
        allow_null=True, help_text="Counts from 1 to threshold-1 are suppressed; null for exact counts."
    )
    exact = serializers.BooleanField(help_text="True only for staff asking for their own organisation's counts.")
    rule = serializers.CharField(allow_null=True, help_text="The disclosure rule applied, in plain English.")
    rows = StatsRowSerializer(many=True)
    total = StatsTotalSerializer()


class StatsErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What is wrong, naming the parameter.")
    parameter = serializers.CharField(help_text="The query parameter at fault.")
