"""The "what we know" pages: a topic's facts on a timeline, served by newsdelta itself.

`links` signs page paths and makes the links alerts carry; `views` reads the store into what
a page shows; `chart` draws coverage as SVG; `render` fills the Jinja2 templates
(autoescaped); `app` is the aiohttp side (routes, access, headers); `export` writes one
self-contained HTML file. Nothing here writes to the store or knows a chat platform.
"""
