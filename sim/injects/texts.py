"""Inject texts per event kind, in Dutch (default) and English.

Each template gives: the receiving team kind (``to``), the sender role and
whether a player or the exercise staff (simulated) plays it, the subject, the
message players see, the expected player action, the exercise objective
(capability), controller notes, and whether a contingency inject follows when
players do not act. Placeholders are filled from the event: ``{municipality}``,
``{site}``, ``{region}``, ``{clock}`` (simulated local time), ``{when}``
(``T+hh:mm``) and the event's own numbers. Every player-facing message starts
with "OEFENING" (exercise), in both languages, as Dutch exercises require.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LANGUAGES = ("nl", "en")
#: Prefix of every player-facing message.
EXERCISE = "OEFENING"


@dataclass(frozen=True)
class Template:
    """The texts of one kind of inject in one language."""

    sender: str
    subject: str
    message: str
    action: str
    objective: str
    notes: str = ""
    #: Text of the contingency inject sent when players do not act ('' for none).
    contingency: str = ""


#: Who receives each kind of inject, in order: single events go to the operational
#: team that handles them (an emergency report to the meldkamer only, a point's
#: news to bevolkingszorg), never to a policy team as such; the GBT, ROT and RBT get
#: the decisions at their level (the ROT: fuel, mobile generators, help from other
#: regions; the GBT: opening points, vulnerable residents, public information; the
#: RBT: scarce means) and the outside parties' injects, merged into lists, besides
#: their periodic pictures. ``nsp`` falls back to ``bevolkingszorg`` when not in play.
ROUTES: dict[str, tuple[str, ...]] = {
    "grid_out": ("rot", "gbt"), "grid_forecast": ("rot", "gbt"),
    "grid_restored": ("rot", "gbt"), "mobile_down": ("meldkamer", "gbt"),
    "c2000_down": ("meldkamer", "rot"), "water_pressure_down": ("gbt", "rot"),
    "station_no_power": ("rot",), "generator_start_failed": ("cp", "nsp", "rot"),
    "generator_failed": ("cp", "nsp", "rot"), "generator_dry": ("cp", "nsp", "rot"),
    "fuel_low": ("cp", "nsp", "rot"), "cp_not_functional": ("rot", "gbt"),
    "point_opened": ("gbt", "bevolkingszorg"), "key_holder_late": ("bevolkingszorg", "gbt"),
    "supplies_out": ("bevolkingszorg", "gbt"), "public_order": ("meldkamer", "copi", "gbt"),
    "emergency_report": ("meldkamer",), "vulnerable_reported": ("nsp",),
    "points_status": ("rot", "rbt"), "care_clients": ("gbt", "bevolkingszorg"),
    "care_clients_region": ("rot",), "media_no_point": ("gbt",), "mayor_call": ("rot",),
    "mutual_aid": ("rot",), "locc_answer": ("rot",),
}


NL: dict[str, Template] = {
    "grid_out": Template(
        "Netbeheerder (gesimuleerd)", "Stroomuitval {municipality}",
        "Sinds {clock} is in {municipality} de stroom uitgevallen. De netbeheerder kan nog "
        "geen hersteltijd geven.",
        "Beeld vormen, opschalen volgens GRIP, gemeente en coördinatiepunten informeren.",
        "Alarmering en opschaling",
        "Startinject per gemeente; herstel volgens de run om {restored}.",
        "Netbeheerder belt opnieuw: nog steeds geen stroom in {municipality}; is er een "
        "aanspreekpunt bij de veiligheidsregio?"),
    "mobile_down": Template(
        "Telecomaanbieder (gesimuleerd)", "Mobiel netwerk weg in {municipality}",
        "Het mobiele netwerk in {municipality} is sinds {clock} grotendeels uitgevallen. "
        "Inwoners kunnen 112 mobiel niet meer bereiken.",
        "Rekening houden met meldingen via noodsteunpunten en kazernes; eenheden "
        "bereikbaar houden.",
        "Meldingen zonder 112", "Masten vallen na hun accu-tijd uit."),
    "c2000_down": Template(
        "Landelijke Meldkamer Samenwerking (gesimuleerd)",
        "C2000-dekking weg in {municipality}",
        "Sinds {clock} is de C2000-dekking in {municipality} weggevallen (mast zonder stroom).",
        "Alternatieve verbindingen inzetten (DARES, satelliet, koeriers).",
        "Verbindingen en informatiemanagement"),
    "water_pressure_down": Template(
        "Drinkwaterbedrijf (gesimuleerd)", "Geen waterdruk in {municipality}",
        "Sinds {clock} is er in delen van {municipality} geen waterdruk meer. Inwoners "
        "hebben drinkwater nodig: 3 liter per persoon per dag.",
        "Drinkwaterverstrekking via noodsteunpunten regelen.", "Basisbehoeften bevolking"),
    "station_no_power": Template(
        "Postcommandant {site}", "Kazerne {site} zonder stroom",
        "Kazerne {site} in {municipality} heeft geen stroom en geen werkend noodaggregaat. "
        "Als coördinatiepunt kunnen wij niet functioneren.",
        "Mobiel aggregaat toewijzen of coördinatiepunt verplaatsen.",
        "Continuïteit coördinatiepunten", "Volgens de run zonder stroom vanaf {clock}.",
        "Postcommandant {site} vraagt opnieuw om een aggregaat; de accu's van de portofoons "
        "raken leeg."),
    "generator_start_failed": Template(
        "Beheerder {site}", "Noodstroomaggregaat {site} start niet",
        "Het noodstroomaggregaat bij {site} ({municipality}) start niet.",
        "Monteur of mobiel aggregaat aanvragen.", "Noodstroomvoorziening",
        "Een monteur moet reizen; zie generator_repaired in de run."),
    "generator_failed": Template(
        "Beheerder {site}", "Aggregaat {site} uitgevallen",
        "Het noodstroomaggregaat bij {site} ({municipality}) is tijdens bedrijf uitgevallen.",
        "Monteur aanvragen, diensten zonder stroom afschalen.", "Noodstroomvoorziening"),
    "generator_dry": Template(
        "Beheerder {site}", "Aggregaat {site} staat droog",
        "Het aggregaat bij {site} ({municipality}) is zonder brandstof stilgevallen.",
        "Brandstoflevering met prioriteit (verdringingsreeks) afstemmen.",
        "Brandstoflogistiek"),
    "fuel_low": Template(
        "Beheerder {site}", "Brandstof een kwart of minder bij {site}",
        "Bij {site} ({municipality}) zit nog {litres} liter in de tank van {tank_l} liter "
        "(een kwart of minder).",
        "Brandstof aanvragen bij het ROT; verbruik beperken.", "Brandstoflogistiek",
        "", "Beheerder {site}: nog maar een paar uur brandstof; wanneer komt de tankwagen?"),
    "cp_not_functional": Template(
        "Coördinatiepunt {site}", "Coördinatiepunt {site} niet operationeel",
        "Coördinatiepunt {site} ({municipality}) is niet meer operationeel.",
        "Aflossing of stroom regelen; berichten tijdelijk via een ander punt laten lopen.",
        "Continuïteit coördinatiepunten"),
    "point_opened": Template(
        "Coördinator noodsteunpunt {site}", "Noodsteunpunt {site} open",
        "Noodsteunpunt {site} in {municipality} is open sinds {clock}{late}{reduced}.",
        "Inwoners informeren; bemensing en bevoorrading voor de komende dagen plannen.",
        "Inrichten noodsteunpunten binnen 72 uur", "{late_note}"),
    "supplies_out": Template(
        "Coördinator noodsteunpunt {site}", "Voorraad op bij {site}",
        "Bij noodsteunpunt {site} ({municipality}) zijn water en voedsel op. Wij moeten "
        "mensen wegsturen.",
        "Bevoorrading uit de regionale voorraad regelen.", "Logistiek en basisbehoeften",
        "", "Coördinator {site}: de rij wordt langer en mensen worden boos."),
    "public_order": Template(
        "Coördinator noodsteunpunt {site}", "Onrust bij noodsteunpunt {site}",
        "Bij noodsteunpunt {site} ({municipality}) ontstaat onrust: lange rij, "
        "{turned_away} mensen weggestuurd zonder water of voedsel. Wij vragen politie.",
        "Politie inzetten; gemeente informeren over schaarste.", "Openbare orde",
        "", "Coördinator {site}: de situatie escaleert, er wordt geduwd."),
    "emergency_report": Template(
        "Noodsteunpunt {site}", "Noodmelding via noodsteunpunt {site}",
        "Bij noodsteunpunt {site} ({municipality}) is {reports_text} gedaan door "
        "inwoners die 112 niet kunnen bellen.",
        "Hulp uitsturen en bevestigen aan het noodsteunpunt.", "Meldingen zonder 112"),
    "mutual_aid": Template(
        "ROT {region}", "Bijstandsverzoek mobiele aggregaten",
        "ROT {region} vraagt bijstand: {requests} aanvragen voor mobiele aggregaten, eigen "
        "voorraad {pool}.",
        "Afwegen of en hoeveel aggregaten kunnen worden afgestaan; afstemmen in Oost-5.",
        "Interregionale samenwerking"),
    "locc_answer": Template(
        "LOCC", "Bijstand toegekend: {units} {what}",
        "Het LOCC kent ROT {region} {units} {what} toe ({from_text}); verwachte aankomst bij "
        "de regionale uitvalsbasis: {arrive_clock}.",
        "Ontvangst en inzet voorbereiden: welke locaties eerst, wie begeleidt, brandstof.",
        "Interregionale samenwerking",
        "Toegekend op het uur van de LOCC-ronde; aankomst volgens de run.",
        "LOCC belt opnieuw: de {what} voor ROT {region} zijn onderweg; wie ontvangt ze bij de "
        "uitvalsbasis en waar gaan ze eerst heen?"),
    "vulnerable_reported": Template(
        "Buurvrouw (gesimuleerd)", "Kwetsbare bewoner gemeld bij {site}",
        "Een buurvrouw meldt bij noodsteunpunt {site}: een bewoner ({group_text}) in "
        "{municipality} heeft hulp nodig.",
        "Uitrukteam sturen of zorgaanbieder inschakelen; melding registreren.",
        "Zorg voor verminderd zelfredzamen",
        "Volgens de run dreigt schade binnen {harm_in_h} uur.",
        "De buurvrouw komt terug: er is nog niemand geweest."),
    "key_holder_late": Template(
        "Coördinator noodsteunpunt {site}", "Sleutelhouder {site} niet bereikbaar",
        "Wij staan voor de deur van {site} in {municipality}: de sleutelhouder is niet "
        "bereikbaar en het pand blijft dicht.",
        "Sleutelhouder laten ophalen of een ander pand openen; inwoners informeren.",
        "Inrichten noodsteunpunten binnen 72 uur",
        "Volgens de run komt de sleutel {came_after_h} uur na het besluit.",
        "Coördinator {site}: er staan al mensen te wachten voor een dicht pand."),
    "points_status": Template(
        "Informatiemanager ROT {region}", "Stand noodsteunpunten {region} {when}",
        "Stand {clock}: in {region} {planned} noodsteunpunten gepland, {activated} "
        "geactiveerd, {open} open, waarvan {operational} volledig operationeel (met stroom).",
        "Prioriteren: welke punten krijgen aggregaten, brandstof en mensen om binnen 72 uur "
        "operationeel te zijn?", "Sturing op de 72-uursnorm"),
}

EN: dict[str, Template] = {
    "grid_out": Template(
        "Grid operator (simulated)", "Power cut in {municipality}",
        "Since {clock} {municipality} has no power. The grid operator cannot yet say when "
        "power will be back.",
        "Build the picture, scale up (GRIP), inform the municipality and coordination points.",
        "Alert and scale-up", "Start inject per municipality; power back per the run at "
        "{restored}.",
        "The grid operator calls again: still no power in {municipality}; who is the contact "
        "at the safety region?"),
    "mobile_down": Template(
        "Telecom operator (simulated)", "Mobile network down in {municipality}",
        "Since {clock} the mobile network in {municipality} is largely down. Residents cannot "
        "call 112 by mobile.",
        "Expect reports through support points and fire stations; keep units reachable.",
        "Emergency calls without 112", "Masts fail after their battery time."),
    "c2000_down": Template(
        "National control-room organisation (simulated)",
        "C2000 coverage lost in {municipality}",
        "Since {clock} C2000 coverage in {municipality} is lost (mast without power).",
        "Use other links (DARES, satellite, runners).", "Communications"),
    "water_pressure_down": Template(
        "Water company (simulated)", "No water pressure in {municipality}",
        "Since {clock} parts of {municipality} have no water pressure. Residents need "
        "drinking water: 3 litres per person per day.",
        "Organise drinking water at the support points.", "Basic needs"),
    "station_no_power": Template(
        "Station commander {site}", "Station {site} without power",
        "Station {site} in {municipality} has no power and no working generator. We cannot "
        "work as a coordination point.",
        "Assign a mobile generator or move the coordination point.",
        "Continuity of coordination points", "Without power per the run from {clock}.",
        "Station commander {site} asks again for a generator; radio batteries run low."),
    "generator_start_failed": Template(
        "Site manager {site}", "Generator at {site} does not start",
        "The backup generator at {site} ({municipality}) does not start.",
        "Ask for a technician or a mobile generator.", "Backup power",
        "A technician must travel; see generator_repaired in the run."),
    "generator_failed": Template(
        "Site manager {site}", "Generator at {site} broke down",
        "The backup generator at {site} ({municipality}) broke down while running.",
        "Ask for a technician; scale down services without power.", "Backup power"),
    "generator_dry": Template(
        "Site manager {site}", "Generator at {site} out of fuel",
        "The generator at {site} ({municipality}) stopped: out of fuel.",
        "Agree fuel deliveries by priority.", "Fuel logistics"),
    "fuel_low": Template(
        "Site manager {site}", "Fuel at a quarter or less at {site}",
        "{site} ({municipality}) has {litres} litres left in its {tank_l}-litre tank (a "
        "quarter or less).",
        "Ask the ROT for fuel; cut consumption.", "Fuel logistics",
        "", "Site manager {site}: only a few hours of fuel left; when does the truck come?"),
    "cp_not_functional": Template(
        "Coordination point {site}", "Coordination point {site} not working",
        "Coordination point {site} ({municipality}) no longer works.",
        "Arrange relief or power; route messages through another point meanwhile.",
        "Continuity of coordination points"),
    "point_opened": Template(
        "Support point coordinator {site}", "Support point {site} open",
        "Support point {site} in {municipality} is open since {clock}{late}{reduced}.",
        "Inform residents; plan staff and supplies for the coming days.",
        "Support points running within 72 hours", "{late_note}"),
    "supplies_out": Template(
        "Support point coordinator {site}", "Supplies out at {site}",
        "Support point {site} ({municipality}) has run out of water and food. We are turning "
        "people away.",
        "Arrange supplies from the regional stock.", "Logistics and basic needs",
        "", "Coordinator {site}: the queue grows and people get angry."),
    "public_order": Template(
        "Support point coordinator {site}", "Unrest at support point {site}",
        "Unrest at support point {site} ({municipality}): a long queue, {turned_away} people "
        "turned away without water or food. We ask for police.",
        "Send police; tell the municipality about the shortage.", "Public order",
        "", "Coordinator {site}: the situation escalates, people are pushing."),
    "emergency_report": Template(
        "Support point {site}", "Emergency reported at support point {site}",
        "{reports_text} at support point {site} ({municipality}) from residents "
        "who cannot call 112.",
        "Send help and confirm to the support point.", "Emergency calls without 112"),
    "mutual_aid": Template(
        "ROT {region}", "Mutual aid request: mobile generators",
        "ROT {region} asks for help: {requests} requests for mobile generators, own pool "
        "{pool}.",
        "Decide whether and how many generators can be lent; agree within Oost-5.",
        "Cross-regional cooperation"),
    "locc_answer": Template(
        "LOCC", "Aid granted: {units} {what}",
        "The LOCC grants ROT {region} {units} {what} ({from_text}); expected at the regional "
        "base: {arrive_clock}.",
        "Prepare reception and use: which sites first, who escorts, fuel.",
        "Cross-regional cooperation",
        "Granted at the hour of the LOCC round; arrival as in the run.",
        "The LOCC calls again: the {what} for ROT {region} are on their way; who receives "
        "them at the base and where do they go first?"),
    "vulnerable_reported": Template(
        "Neighbour (simulated)", "Vulnerable resident reported at {site}",
        "A neighbour reports at support point {site}: a resident ({group_text}) in "
        "{municipality} needs help.",
        "Send an outreach team or call the care provider; register the report.",
        "Care for residents with reduced self-reliance",
        "Per the run, harm within {harm_in_h} hours.",
        "The neighbour comes back: nobody has been there yet."),
    "key_holder_late": Template(
        "Support point coordinator {site}", "Key holder for {site} unreachable",
        "We are at the door of {site} in {municipality}: the key holder cannot be reached and "
        "the building stays closed.",
        "Have the key holder fetched or open another building; inform residents.",
        "Support points running within 72 hours",
        "Per the run the key comes {came_after_h} hours after the decision.",
        "Coordinator {site}: people are already waiting at a closed building."),
    "points_status": Template(
        "Information manager ROT {region}", "Support points in {region} at {when}",
        "Status at {clock}: in {region} {planned} support points planned, {activated} "
        "activated, {open} open, of which {operational} fully operational (with power).",
        "Set priorities: which points get generators, fuel and people to be operational "
        "within 72 hours?", "Steering on the 72-hour norm"),
}

TEMPLATES = {"nl": NL, "en": EN}

GROUPS = {
    "nl": {"home_ventilation": "thuisbeademing (continu)",
           "home_ventilation_night": "thuisbeademing ('s nachts)", "home_oxygen": "zuurstof thuis",
           "home_care": "thuiszorgcliënt", "severe_mobility_alone": "ernstig beperkt mobiel, "
           "alleenwonend", "frail_elderly_alone": "kwetsbare oudere, alleenwonend"},
    "en": {"home_ventilation": "on home ventilation (around the clock)",
           "home_ventilation_night": "on home ventilation (at night)",
           "home_oxygen": "on home oxygen",
           "home_care": "home-care client", "severe_mobility_alone": "severely limited "
           "mobility, living alone", "frail_elderly_alone": "frail elderly, living alone"},
}

#: Short names of event kinds, for merged lists.
KIND_LABELS = {
    "nl": {"grid_out": "gemeente zonder stroom", "mobile_down": "mobiel netwerk weg",
           "c2000_down": "C2000-dekking weg", "water_pressure_down": "geen waterdruk",
           "station_no_power": "kazerne zonder stroom",
           "generator_start_failed": "aggregaat start niet",
           "generator_failed": "aggregaat uitgevallen", "generator_dry": "aggregaat droog",
           "fuel_low": "brandstof een kwart of minder",
           "cp_not_functional": "coördinatiepunt niet operationeel",
           "point_opened": "noodsteunpunt open", "supplies_out": "voorraad op",
           "public_order": "onrust bij noodsteunpunt", "emergency_report": "noodmelding",
           "mutual_aid": "bijstandsverzoek", "locc_answer": "bijstand toegekend",
           "vulnerable_reported": "kwetsbare bewoner gemeld",
           "key_holder_late": "sleutelhouder niet bereikbaar",
           "points_status": "stand noodsteunpunten", "grid_forecast": "prognose stroomherstel",
           "grid_restored": "stroom terug", "care_clients": "cliënten niet bereikbaar",
           "care_clients_region": "cliënten niet bereikbaar",
           "media_no_point": "vraag van de media", "mayor_call": "burgemeester vraagt voorrang"},
    "en": {"grid_out": "municipality without power", "mobile_down": "mobile network down",
           "c2000_down": "C2000 coverage lost", "water_pressure_down": "no water pressure",
           "station_no_power": "station without power",
           "generator_start_failed": "generator does not start",
           "generator_failed": "generator broke down", "generator_dry": "generator out of fuel",
           "fuel_low": "fuel at a quarter or less",
           "cp_not_functional": "coordination point not working",
           "point_opened": "support point open", "supplies_out": "supplies out",
           "public_order": "unrest at a support point", "emergency_report": "emergency report",
           "mutual_aid": "mutual aid request", "locc_answer": "aid granted",
           "vulnerable_reported": "vulnerable resident "
           "reported", "key_holder_late": "key holder unreachable",
           "points_status": "support point status", "grid_forecast": "restoration forecast",
           "grid_restored": "power back", "care_clients": "clients unreachable",
           "care_clients_region": "clients unreachable",
           "media_no_point": "media question", "mayor_call": "mayor asks for priority"},
}

#: Words used in summaries and fillers.
WORDS: dict[str, dict[str, Any]] = {
    "nl": {"late": " ({hours} uur na het besluit)", "reduced": ", zonder stroom: geen warmte "
           "en geen opladen", "late_note": "Laat geopend: controleer in de run of de "
           "sleutelhouder, bemensing of stroom de oorzaak was.", "never": "niet binnen de run",
           "contingency": "OEFENING (vervolg, alleen als er niets is gedaan): ",
           "contingency_note": "Alleen sturen als de spelers niet hebben gehandeld.",
           "reports": ("{n} noodmeldingen", "één noodmelding", "{n} noodmeldingen"),
           "merged": "{n} berichten ({label}):",
           "merged_count": "{n}x {label} in {k} berichten:",
           "clients": ("{n} cliënten", "één cliënt", "{n} cliënten"),
           "aid_units": {"generator": ("mobiel aggregaat", "mobiele aggregaten"),
                         "truck": ("tankwagen", "tankwagens")},
           "aid_from": {"regions": "andere veiligheidsregio's", "defence": "Defensie",
                        "market": "contractpartners"},
           "more_towns": "{n} andere gemeenten: {k}x ({names})"},
    "en": {"late": " ({hours} hours after the decision)", "reduced": ", without power: no "
           "warmth and no charging", "late_note": "Opened late: check in the run whether the "
           "key holder, staff or power was the cause.", "never": "not within the run",
           "contingency": "OEFENING (follow-up, only if nothing was done): ",
           "contingency_note": "Send only if the players have not acted.",
           "reports": ("{n} emergency reports", "One emergency report", "{n} emergency reports"),
           "merged": "{n} messages ({label}):",
           "merged_count": "{n}x {label} in {k} messages:",
           "clients": ("{n} clients", "one client", "{n} clients"),
           "aid_units": {"generator": ("mobile generator", "mobile generators"),
                         "truck": ("fuel truck", "fuel trucks")},
           "aid_from": {"regions": "other safety regions", "defence": "Defensie",
                        "market": "contracted suppliers"},
           "more_towns": "{n} other municipalities: {k}x ({names})"},
}
