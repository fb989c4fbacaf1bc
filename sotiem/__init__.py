"""sotiem (sổ tiêm): a national immunization registry."""
