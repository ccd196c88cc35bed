"""The shopper portal's foundation: pages in the shopper's language (`web`), the signed session and CSRF
(`session`), the order lookup with its rate limits (`lookup`), and the localized error pages (`errors`).

Routers build on `api.shopper.web.render`, `shopper_lang`, `merchant_by_slug`, `page_error`/`not_found`, and on
`api.shopper.session.current_shopper`, `shopper_of`, `start_session`, `require_csrf`.
"""
