"""`rollekort prove`: a harness of load plus faults that checks the service's invariants."""
