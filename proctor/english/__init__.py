"""English for the proctor pages' Vietnamese strings, one module per page group."""

from proctor.english import actions, events, forensics, incidents, live, rooms, seb

EN: dict[str, str] = {}
for _part in (rooms, actions, incidents, live, events, seb, forensics):
    EN.update(_part.EN)
