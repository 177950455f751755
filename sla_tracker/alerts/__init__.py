"""Notifier: alerts to the Governor's office (R26), agency leads and curators (R24) by e-mail, Telegram bot, webhook."""
