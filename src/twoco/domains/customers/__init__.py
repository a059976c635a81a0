"""Customers: createCustomer, getCustomerInformation, updateCustomerInformation (with its push to
end users) and searchCustomers; a customer's Enabled and Trial come from its subscriptions."""

from twoco.domains.customers.operations import OPERATIONS

__all__ = ["OPERATIONS"]
