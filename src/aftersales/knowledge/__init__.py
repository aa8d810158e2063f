"""knowledge: the 售后辞典 — articles (FAQ, agent scripts, spare-part standards) with several question
phrasings each, version history, synonyms, and hybrid search (jieba + BM25, USE embeddings, fused).

Depends on tickets (suggestions on a ticket, "solved by this article"), accounts (audit).
Entry points: ``service`` (CRUD, search, solutions), ``api`` (/api/v1/knowledge, ticket suggestions),
``cli`` (``aftersales knowledge import|export|seed``).
"""
