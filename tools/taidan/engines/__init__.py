"""The engines that draw pages: WeasyPrint (patched) and Chromium, and the fonts they use."""
