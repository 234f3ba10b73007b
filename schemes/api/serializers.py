"""Reference data as API clients see it: codes first, because the statistics and records use codes."""

from rest_framework import serializers

from schemes.models import Grade, Location, Organisation, Scheme


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


class SchemeSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Scheme
        fields = ["id", "code", "name", "kind", "owner", "length_months"]
