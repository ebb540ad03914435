// Expands an iCalendar file with ical.js (Thunderbird's parser), as a client would.
// Usage: node expand.mjs FROM TO < feed.ics   → JSON [{uid, start, end, status}] in UTC.
import ICAL from "ical.js";
import { readFileSync } from "node:fs";

const [from, to] = process.argv.slice(2).map((iso) => ICAL.Time.fromJSDate(new Date(iso), true));
const calendar = new ICAL.Component(ICAL.parse(readFileSync(0, "utf8")));
for (const zone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(zone);
}
const masters = new Map();
const overrides = [];
for (const vevent of calendar.getAllSubcomponents("vevent")) {
  if (vevent.hasProperty("recurrence-id")) overrides.push(vevent);
  else masters.set(vevent.getFirstPropertyValue("uid"), new ICAL.Event(vevent));
}
const orphans = [];
for (const vevent of overrides) {
  const master = masters.get(vevent.getFirstPropertyValue("uid"));
  // A CANCEL of single instances names them without their series (RFC 5546 §3.2.5).
  if (master) master.relateException(new ICAL.Event(vevent));
  else orphans.push(new ICAL.Event(vevent));
}
// A DATE (all-day) stays a date: YYYY-MM-DD, as the API gives first and last day.
const iso = (time) => (time.isDate ? time.toString() : time.toJSDate().toISOString());
const out = [];
for (const event of orphans) {
  out.push({ uid: event.uid, start: iso(event.startDate), end: iso(event.endDate),
             status: event.component.getFirstPropertyValue("status") });
}
for (const [uid, event] of masters) {
  if (!event.isRecurring()) {
    if (event.startDate.compare(from) >= 0 && event.startDate.compare(to) < 0) {
      out.push({ uid, start: iso(event.startDate), end: iso(event.endDate),
                 status: event.component.getFirstPropertyValue("status") });
    }
    continue;
  }
  const iterator = event.iterator();
  for (let next = iterator.next(); next; next = iterator.next()) {
    const details = event.getOccurrenceDetails(next);
    if (details.startDate.compare(to) >= 0 && next.compare(to) >= 0) break;
    if (details.startDate.compare(from) < 0 || details.startDate.compare(to) >= 0) continue;
    out.push({ uid, start: iso(details.startDate), end: iso(details.endDate),
               status: details.item.component.getFirstPropertyValue("status") });
  }
}
process.stdout.write(JSON.stringify(out));
