"""Definitions by domain: each module declares its assets, sensors and schedules."""
