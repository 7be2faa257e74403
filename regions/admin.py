from django.contrib import admin
from django.db.models import Count

from .models import PDU, Region


class PDUInline(admin.TabularInline):
    model = PDU
    fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    extra = 0


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "pdu_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PDUInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(pdu_total=Count("pdus"))

    @admin.display(description="PDUs", ordering="pdu_total")
    def pdu_count(self, region: Region) -> int:
        return region.pdu_total


@admin.register(PDU)
class PDUAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "region"]
    list_filter = ["region"]
    list_select_related = ["region"]
    search_fields = ["name", "slug", "region__name"]
    prepopulated_fields = {"slug": ["name"]}
