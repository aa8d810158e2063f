"""Known-issue bulletins (已知问题): cause, affected products and versions, cues, workaround and agent
script; departments told on publish and on every change; new tickets that match linked at intake (their
agent sees the workaround); linked customers told by SMS when it is fixed.

Modules: ``matching`` (pure: does a ticket match a bulletin), ``service`` (create, edit, publish, fix,
withdraw), ``linking`` (intake's ``link_new_ticket``, manual links, the cue cache, linked tickets),
``notices`` (outbox), ``console`` (the /console/bulletins screens).
Depends on tickets (timeline events), notifications (outbox), accounts (audit, recipients).
"""
