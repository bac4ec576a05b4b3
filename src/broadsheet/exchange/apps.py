from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "broadsheet.exchange"
    verbose_name = "Exchange"
