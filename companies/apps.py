from django.apps import AppConfig


class CompaniesConfig(AppConfig):
    name = "companies"

    def ready(self) -> None:
        from qualification.record_fields import register_record_fields
        from qualification.targets import TargetKind, register_target

        from .models import Company

        register_target(
            TargetKind(
                name="company",
                model=Company,
                view_permission="companies.view_company",
                change_permission="companies.change_company",
                page_url_name="company-detail",
            )
        )
        register_record_fields({"tags": "Tags"})
