"""Date formats per language (settings.FORMAT_MODULE_PATH): what Django's own locale formats lack or get wrong
for these pages, plus named formats for the shorter dates pages show (emotipal.platform.formatting.local).

Django falls back to its own module for every name a module here does not set. Our names end in _FORMAT like
Django's; formatting.local looks them up with the same fallback, ending in English.
"""
