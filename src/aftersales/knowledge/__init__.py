"""knowledge: the 售后辞典 — articles (FAQ, agent scripts, spare-part standards) with several question
phrasings each, version history, synonyms, and hybrid search (jieba + BM25, USE embeddings, fused);
and known-issue bulletins (``knowledge.bulletins``: cause, affected products, cues, workaround).

Depends on tickets (suggestions on a ticket, "solved by this article", bulletin links on the timeline),
accounts (audit), notifications (bulletin notices and the customers' "fixed" SMS).
Entry points: ``service`` (CRUD, search, solutions), ``bulletins.service`` and ``bulletins.linking``
(``link_new_ticket``, called by ticket intake), ``api`` (/api/v1/knowledge, /api/v1/bulletins, ticket
suggestions), ``cli`` (``aftersales knowledge import|export|seed``), ``rendering.render_markdown`` (an article
body as sanitised HTML, for every page that shows one), the console: ``console`` (self-service help, a
ticket's known issues), ``console_edit`` (/console/knowledge, the editor) and ``bulletins.console``
(/console/bulletins).
"""
