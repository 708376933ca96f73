VALUE = "imported from the same package"
