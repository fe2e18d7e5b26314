"""Inject texts for each level, and for the outside parties played by exercise control.

``VARIANTS`` hold the text of a kind for a particular receiving team
(``kind@team``) where the base text in ``sim.injects.texts`` would ask the
wrong thing of it: a site low on fuel asks the ROT for a delivery, and the ROT
is asked to set priorities, not to "ask the ROT". ``OUTSIDE`` hold the texts of
the outside parties' injects (``sim.injects.outside``). Placeholders as in
``sim.injects.texts``, plus ``{names}`` (the municipalities of the event),
``{from_clock}``/``{to_clock}`` (a forecast window) and ``{top}`` (the places with
the most, with their numbers).
"""

from __future__ import annotations

from sim.injects.texts import Template

NL_VARIANTS: dict[str, Template] = {
    "emergency_report@cp": Template(
        "Noodsteunpunt {site}", "Noodmelding via noodsteunpunt {site}",
        "Noodsteunpunt {site} ({municipality}) geeft {reports_text} door van inwoners die 112 "
        "niet kunnen bellen.",
        "De melding doorzetten naar de meldkamer (C2000) en bevestigen aan het noodsteunpunt.",
        "Meldingen zonder 112"),
    "grid_out@gbt": Template(
        "Netbeheerder (gesimuleerd)", "Stroomuitval {municipality}",
        "Sinds {clock} is in {municipality} de stroom uitgevallen. De netbeheerder kan nog "
        "geen hersteltijd geven.",
        "GBT bijeenroepen, noodsteunpunten activeren, inwoners informeren.",
        "Alarmering en opschaling"),
    "mobile_down@gbt": Template(
        "Telecomaanbieder (gesimuleerd)", "Mobiel netwerk weg in {municipality}",
        "Het mobiele netwerk in {municipality} is sinds {clock} grotendeels uitgevallen. "
        "Inwoners kunnen 112 mobiel niet meer bereiken.",
        "Besluiten hoe inwoners hulp kunnen vragen (noodsteunpunt, kazerne) en hoe u hen "
        "informeert.", "Informatievoorziening aan de bevolking"),
    "c2000_down@rot": Template(
        "Landelijke Meldkamer Samenwerking (gesimuleerd)", "C2000-dekking weg in {municipality}",
        "Sinds {clock} is de C2000-dekking in {municipality} weggevallen (mast zonder stroom).",
        "Besluiten over alternatieve verbindingen voor de hulpdiensten (DARES, satelliet, "
        "koeriers).", "Verbindingen en informatiemanagement"),
    "water_pressure_down@rot": Template(
        "Drinkwaterbedrijf (gesimuleerd)", "Geen waterdruk in {municipality}",
        "Sinds {clock} is er in delen van {municipality} geen waterdruk meer.",
        "Noodwatervoorziening met het drinkwaterbedrijf afstemmen; voorrang voor "
        "zorginstellingen bepalen.", "Basisbehoeften bevolking"),
    "generator_start_failed@rot": Template(
        "Beheerder noodstroom {site}", "Aggregaat {site} start niet",
        "Het noodstroomaggregaat bij {site} ({municipality}) start niet; wij vragen een "
        "monteur of een mobiel aggregaat.",
        "Monteur of mobiel aggregaat toewijzen naar prioriteit.", "Noodstroomvoorziening"),
    "generator_failed@rot": Template(
        "Beheerder noodstroom {site}", "Aggregaat {site} uitgevallen",
        "Het noodstroomaggregaat bij {site} ({municipality}) is tijdens bedrijf uitgevallen; "
        "wij vragen een monteur.", "Monteur of mobiel aggregaat toewijzen naar prioriteit.",
        "Noodstroomvoorziening"),
    "fuel_low@rot": Template(
        "Beheerder noodstroom {site}", "Brandstofverzoek {site}",
        "Bij {site} ({municipality}) zit nog {litres} liter in de tank van {tank_l} liter "
        "(een kwart of minder). Wij vragen een levering.",
        "Leveringen prioriteren volgens de verdringingsreeks en tankwagens inzetten.",
        "Brandstoflogistiek", "",
        "Beheerder {site}: nog maar een paar uur brandstof; wanneer komt de tankwagen?"),
    "cp_not_functional@gbt": Template(
        "Coördinatiepunt {site}", "Coördinatiepunt {site} niet operationeel",
        "Coördinatiepunt {site} ({municipality}) is niet meer operationeel. Inwoners kunnen "
        "daar geen hulp meer vragen.",
        "Inwoners informeren waar zij nu terechtkunnen.", "Informatievoorziening aan de "
                                                          "bevolking"),
    "point_opened@bevolkingszorg": Template(
        "Coördinator noodsteunpunt {site}", "Noodsteunpunt {site} open",
        "Noodsteunpunt {site} in {municipality} is open sinds {clock}{late}{reduced}.",
        "Bemensing en bevoorrading voor de komende dagen plannen.",
        "Inrichten noodsteunpunten binnen 72 uur", "{late_note}"),
    "key_holder_late@gbt": Template(
        "Coördinator noodsteunpunt {site}", "Noodsteunpunt {site} blijft dicht",
        "Bij {site} in {municipality} is de sleutelhouder niet bereikbaar; het pand blijft "
        "dicht.", "Besluiten: een ander pand openen of de sleutelhouder laten ophalen; "
                  "inwoners informeren.", "Inrichten noodsteunpunten binnen 72 uur"),
    "supplies_out@gbt": Template(
        "Coördinator noodsteunpunt {site}", "Voorraad op bij {site}",
        "Bij noodsteunpunt {site} ({municipality}) zijn water en voedsel op; er worden mensen "
        "weggestuurd.", "Prioriteit van de bevoorrading bepalen; zo nodig de regionale "
                        "voorraad aanvragen bij het ROT.", "Logistiek en basisbehoeften"),
    "public_order@gbt": Template(
        "Politie (gesimuleerd)", "Onrust bij noodsteunpunt {site}",
        "Bij noodsteunpunt {site} ({municipality}) is onrust: {turned_away} mensen zijn "
        "weggestuurd zonder water of voedsel. De politie is ter plaatse.",
        "Burgemeester: besluiten over openbare-ordemaatregelen en de informatie aan inwoners.",
        "Openbare orde"),
    "points_status@rot": Template(
        "Gemeenten in {region} (gesimuleerd)", "Stand noodsteunpunten {region} {when}",
        "Stand {clock}: in {region} {planned} noodsteunpunten gepland, {activated} "
        "geactiveerd, {open} open, waarvan {operational} volledig operationeel (met stroom).",
        "Aggregaten, brandstof en mensen toewijzen aan de punten die zonder hulp de 72 uur "
        "niet halen.", "Sturing op de 72-uursnorm"),
}

EN_VARIANTS: dict[str, Template] = {
    "emergency_report@cp": Template(
        "Support point {site}", "Emergency reported at support point {site}",
        "Support point {site} ({municipality}) passes on {reports_text_lower} from residents "
        "who cannot call 112.",
        "Pass the report on to the meldkamer (C2000) and confirm to the support point.",
        "Emergency calls without 112"),
    "grid_out@gbt": Template(
        "Grid operator (simulated)", "Power cut in {municipality}",
        "Since {clock} {municipality} has no power. The grid operator cannot yet say when "
        "power will be back.", "Convene the GBT, activate support points, inform residents.",
        "Alert and scale-up"),
    "mobile_down@gbt": Template(
        "Telecom operator (simulated)", "Mobile network down in {municipality}",
        "Since {clock} the mobile network in {municipality} is largely down. Residents cannot "
        "call 112 by mobile.",
        "Decide how residents can ask for help (support point, fire station) and how you "
        "inform them.", "Public information"),
    "c2000_down@rot": Template(
        "National control-room organisation (simulated)", "C2000 coverage lost in "
                                                          "{municipality}",
        "Since {clock} C2000 coverage in {municipality} is lost (mast without power).",
        "Decide on other links for the emergency services (DARES, satellite, runners).",
        "Communications"),
    "water_pressure_down@rot": Template(
        "Water company (simulated)", "No water pressure in {municipality}",
        "Since {clock} parts of {municipality} have no water pressure.",
        "Agree emergency water supply with the water company; give care homes priority.",
        "Basic needs"),
    "generator_start_failed@rot": Template(
        "Backup power manager {site}", "Generator at {site} does not start",
        "The backup generator at {site} ({municipality}) does not start; we ask for a "
        "technician or a mobile generator.",
        "Assign a technician or mobile generator by priority.", "Backup power"),
    "generator_failed@rot": Template(
        "Backup power manager {site}", "Generator at {site} broke down",
        "The backup generator at {site} ({municipality}) broke down while running; we ask for "
        "a technician.", "Assign a technician or mobile generator by priority.",
        "Backup power"),
    "fuel_low@rot": Template(
        "Backup power manager {site}", "Fuel request {site}",
        "{site} ({municipality}) has {litres} litres left in its {tank_l}-litre tank (less "
        "quarter or less). We ask for a delivery.",
        "Set delivery priorities (order of precedence) and deploy tankers.", "Fuel logistics",
        "", "Site manager {site}: only a few hours of fuel left; when does the truck come?"),
    "cp_not_functional@gbt": Template(
        "Coordination point {site}", "Coordination point {site} not working",
        "Coordination point {site} ({municipality}) no longer works. Residents can no "
        "longer ask for help there.",
        "Tell residents where they can go now.", "Public information"),
    "point_opened@bevolkingszorg": Template(
        "Support point coordinator {site}", "Support point {site} open",
        "Support point {site} in {municipality} is open since {clock}{late}{reduced}.",
        "Plan staff and supplies for the coming days.", "Support points running within 72 "
                                                        "hours", "{late_note}"),
    "key_holder_late@gbt": Template(
        "Support point coordinator {site}", "Support point {site} stays closed",
        "At {site} in {municipality} the key holder cannot be reached; the building stays "
        "closed.", "Decide: open another building or have the key holder fetched; inform "
                   "residents.", "Support points running within 72 hours"),
    "supplies_out@gbt": Template(
        "Support point coordinator {site}", "Supplies out at {site}",
        "Support point {site} ({municipality}) has run out of water and food; people are "
        "turned away.", "Set supply priorities; ask the ROT for the regional stock if needed.",
        "Logistics and basic needs"),
    "public_order@gbt": Template(
        "Police (simulated)", "Unrest at support point {site}",
        "Unrest at support point {site} ({municipality}): {turned_away} people turned away "
        "without water or food. The police are there.",
        "Mayor: decide on public-order measures and on information to residents.",
        "Public order"),
    "points_status@rot": Template(
        "Municipalities in {region} (simulated)", "Support points in {region} at {when}",
        "Status at {clock}: in {region} {planned} support points planned, {activated} "
        "activated, {open} open, of which {operational} fully operational (with power).",
        "Assign generators, fuel and people to the points that will not make 72 hours "
        "without help.", "Steering on the 72-hour norm"),
}

NL_OUTSIDE: dict[str, Template] = {
    "grid_forecast": Template(
        "Netbeheerder (gesimuleerd)", "Prognose stroomherstel {names}",
        "De netbeheerder verwacht de stroom in {names} terug {window}. Dit is een prognose; "
        "herinschakelen gaat in stappen.",
        "Afschaling en nazorg voorbereiden; tot het herstel blijven de punten nodig.",
        "Sturing op herstel", "Afgeleid uit het herstel in de run op {restored_clock}: eerst "
                              "een ruim venster, later scherper."),
    "grid_restored": Template(
        "Netbeheerder (gesimuleerd)", "Stroom terug in {names}",
        "Sinds {clock} is de stroom terug in {names}. Bij herinschakelen kunnen nog "
        "storingen optreden.",
        "Besluiten welke noodsteunpunten sluiten en wie nazorg nodig heeft.",
        "Afschaling en nazorg"),
    "care_clients": Template(
        "Thuiszorgorganisatie (gesimuleerd)", "Cliënten niet bereikbaar in {municipality}",
        "Wij kunnen {clients_text} in {municipality} niet bereiken (thuiszorg, beademing of "
        "zuurstof thuis). Kan de gemeente helpen?",
        "Prioriteit geven aan bezoek van deze cliënten (uitrukteams, buurtteams).",
        "Zorg voor verminderd zelfredzamen"),
    "care_clients_region": Template(
        "Zorgaanbieders in {region} (gesimuleerd)", "Cliënten niet bereikbaar in {region}",
        "Zorgaanbieders in {region} melden {clients_text} in nood die zij niet kunnen "
        "bereiken; de meeste in {top}.",
        "Capaciteit voor bezoek aan kwetsbare inwoners verdelen; zo nodig bijstand vragen.",
        "Zorg voor verminderd zelfredzamen"),
    "media_no_point": Template(
        "Regionale omroep (gesimuleerd)", "Media: geen noodsteunpunt open in {municipality}",
        "Een verslaggever vraagt: in {municipality} is om {clock} nog geen noodsteunpunt open, "
        "terwijl er {planned} gepland zijn. Inwoners weten niet waar zij terechtkunnen. "
        "Wanneer gaan ze open?",
        "Woordvoering afstemmen; inwoners informeren waar en wanneer zij terechtkunnen.",
        "Informatievoorziening aan de bevolking"),
    "mayor_call": Template(
        "Burgemeester van {municipality} (gesimuleerd)", "Burgemeester {municipality} vraagt "
                                                         "voorrang",
        "De burgemeester van {municipality} laat weten: {planned} noodsteunpunten geactiveerd, "
        "waarvan {operational} operationeel (met stroom). De burgemeester vraagt voorrang voor "
        "aggregaten en brandstof.",
        "Afweging maken tussen gemeenten en de burgemeester antwoorden.",
        "Sturing op de 72-uursnorm"),
}

EN_OUTSIDE: dict[str, Template] = {
    "grid_forecast": Template(
        "Grid operator (simulated)", "Restoration forecast {names}",
        "The grid operator expects power back in {names} {window}. This is a forecast; "
        "reconnection goes in steps.",
        "Prepare scaling down and aftercare; the points stay needed until restoration.",
        "Steering on restoration", "Derived from the restoration in the run at "
                                   "{restored_clock}: first a wide window, later sharper."),
    "grid_restored": Template(
        "Grid operator (simulated)", "Power back in {names}",
        "Since {clock} power is back in {names}. Faults may still occur while reconnecting.",
        "Decide which support points close and who needs aftercare.",
        "Scaling down and aftercare"),
    "care_clients": Template(
        "Home-care organisation (simulated)", "Clients unreachable in {municipality}",
        "We cannot reach {clients_text} in {municipality} (home care, ventilation or oxygen "
        "at home). Can the municipality help?",
        "Give visits to these clients priority (outreach and neighbourhood teams).",
        "Care for residents with reduced self-reliance"),
    "care_clients_region": Template(
        "Care providers in {region} (simulated)", "Clients unreachable in {region}",
        "Care providers in {region} report {clients_text} in danger they cannot reach; "
        "most in {top}.",
        "Share the capacity for visits to vulnerable residents; ask for help if needed.",
        "Care for residents with reduced self-reliance"),
    "media_no_point": Template(
        "Regional broadcaster (simulated)", "Media: no support point open in {municipality}",
        "A reporter asks: in {municipality} no support point is open at {clock}, although "
        "{planned} are planned. Residents do not know where to go. When will they open?",
        "Agree the press line; tell residents where and when they can go.",
        "Public information"),
    "mayor_call": Template(
        "Mayor of {municipality} (simulated)", "Mayor of {municipality} asks for priority",
        "The mayor of {municipality} lets you know: {planned} support points activated, "
        "of which {operational} operational (with power). The mayor asks for priority for "
        "generators and fuel.",
        "Weigh the municipalities against each other and answer the mayor.",
        "Steering on the 72-hour norm"),
}

#: Forecast windows, by language: wide (first) and sharp (second).
WINDOWS = {"nl": ("tussen {from_clock} en {to_clock}", "rond {to_clock}"),
           "en": ("between {from_clock} and {to_clock}", "around {to_clock}")}
