from django.apps import AppConfig


class SynthConfig(AppConfig):
    name = "sotiem.synth"
    label = "synth"
