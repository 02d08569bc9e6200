"""Local protocol fakes: real wire formats on 127.0.0.1, recording what the bot sent."""
