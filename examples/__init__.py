"""Demo relying parties: small education services that sign parents in with Guichet."""
