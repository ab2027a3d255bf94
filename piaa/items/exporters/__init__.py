"""Writers that turn plain items of the bank format into a bank folder, CSV/XLSX or a QTI 3.0 package."""
