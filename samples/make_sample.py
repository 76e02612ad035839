"""Regenerates samples/customers-demo.xlsx, the file `make demo` imports (deterministic)."""

from pathlib import Path

from customer_bulk_local.samples import DEMO_HEADERS, demo_rows, write_xlsx

if __name__ == "__main__":
    path = write_xlsx(Path(__file__).parent / "customers-demo.xlsx", DEMO_HEADERS, demo_rows(2500))
    print(path)
