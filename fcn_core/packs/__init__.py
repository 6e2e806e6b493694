"""Sticker packs (DESIGN §6a): a folder of stickers with a ``pack.json``, checked against the
messengers' published rules, exported for WhatsApp and Telegram and uploaded through the Bot API.

Import the module you need (``model``, ``rules``, ``whatsapp``, ``telegram``); this file imports
nothing, so ``fcn_core.packs.telegram`` stays as light as the window process needs it.
"""
