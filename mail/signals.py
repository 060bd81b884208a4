"""What the mail app tells higher apps, which it never imports.

``address_confirmed(sender=EmailAddress, address: str)``: sent on commit when an address is
confirmed for the first time (support then sends the replies it held back for it).
"""
from django.dispatch import Signal

address_confirmed = Signal()
