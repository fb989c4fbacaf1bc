from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "sotiem.people"
    label = "people"
