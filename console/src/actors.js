// Who did something, in words: an actor as the API names it ("manager:Mana (0a1b63147c8b155f)") -> "Mana"; any
// other actor ("key:…", "system:away") as it is. Kept free of the page so that node can run it.
export function actorName(actor) {
  const said = String(actor || '');
  const person = said.match(/^(?:agent|manager|admin):(.+?)(?:\s*\([0-9a-f]{16}\))?$/);
  return person ? person[1] : said || '—';
}
