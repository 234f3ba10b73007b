"""Reference data as API clients see it: codes first, because the statistics and records use codes.

Small positive numbers carry an explicit maximum: the model field's limit depends on the database (SQLite has
none), and the committed OpenAPI schema must be the same whichever database generated it."""

from rest_framework import serializers

from schemes.models import Grade, Location, Organisation, Scheme

SMALL_POSITIVE_MAX = 32767  # PositiveSmallIntegerField on PostgreSQL


class OrganisationSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Organisation
        fields = ["id", "code", "name", "kind", "parent"]


class LocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Location
        fields = ["id", "name", "region"]


class GradeSerializer(serializers.ModelSerializer):
    aliases = serializers.ListField(source="alias_list", child=serializers.CharField(), read_only=True)
    organisation = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    band = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Grade
        fields = ["id", "code", "name", "framework", "rank", "aliases", "organisation", "band"]
        extra_kwargs = {"rank": {"max_value": SMALL_POSITIVE_MAX}}


class SchemeSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Scheme
        fields = ["id", "code", "name", "kind", "owner", "length_months"]
        extra_kwargs = {"length_months": {"max_value": SMALL_POSITIVE_MAX}}
