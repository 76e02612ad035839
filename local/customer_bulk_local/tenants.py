"""Tenants the local stack starts with, one per kind of product customer-bulk serves."""

from customer_bulk.models.tenant import CustomField, CustomFieldKind, NameOrder, Requirement, TenantSettings

DEMO_TENANTS: dict[str, TenantSettings] = {
    # LadiFlow-style: Vietnamese, 30,000 rows / 80 MB, email or phone, genders "Nam"/"Nữ", a membership tier.
    "demo": TenantSettings(
        genders=("Nam", "Nữ"),
        custom_fields=(
            CustomField(
                key="tier",
                label="Hạng thành viên",
                kind=CustomFieldKind.ENUM,
                allowed=("Bạc", "Vàng", "Kim cương"),
                aliases=("hạng", "membership tier"),
            ),
        ),
    ),
    # Sapo-style: Shopify columns, files up to 5 MB, first name and email required.
    "sapo-demo": TenantSettings(max_file_mb=5, requirement=Requirement.FIRST_NAME_AND_EMAIL),
    # Tix-style (Denmark): ";" CSV keyed on CustomerID, given name first.
    "tix-demo": TenantSettings(default_region="DK", name_order=NameOrder.GIVEN_FIRST, genders=("Mand", "Kvinde")),
}
