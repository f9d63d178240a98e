from django.db import models


class Stamp(models.Model):
    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, related_name="+")
    note = models.CharField(max_length=80)

    def __str__(self) -> str:
        return self.note
