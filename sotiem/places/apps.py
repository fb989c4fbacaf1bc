from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "sotiem.places"
    label = "places"
