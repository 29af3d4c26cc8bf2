"""People's rights over their data: a client's download of everything held about them, erasure by a clinic
admin (with legal holds and what research consent lets a study keep), and per-clinic retention rules.

It sits above every domain app because it reads and removes data of all of them."""
