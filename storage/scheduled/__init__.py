"""What the bot does on its own, feature by feature: each module finds what is due at the clock's time
and turns it into rows (state changes and outbox messages, in one transaction). `bot.scheduler.tick`
calls them in order; nothing here talks to Telegram."""
