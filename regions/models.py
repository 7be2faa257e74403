from django.db import models


class Region(models.Model):
    """A Probation Service region, led by a Regional Probation Director."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PDU(models.Model):
    """A Probation Delivery Unit: the local unit that is inspected."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="pdus")

    class Meta:
        ordering = ["region__name", "name"]
        verbose_name = "PDU"
        verbose_name_plural = "PDUs"
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="pdu_unique_name_per_region"),
        ]

    def __str__(self) -> str:
        return self.name
