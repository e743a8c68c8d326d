"""The coordinator's page as a Telegram Mini App (docs/miniapp.md): an aiohttp application served by
`binome run` beside the bot, Jinja2 templates, the same rules and figures as the chat."""
