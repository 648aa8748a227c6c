"""The Danish phrasebook of the generated statement (same keys and placeholders as English).

Plain Danish, written for this product; a test checks it matches the English book key for
key and placeholder for placeholder.
"""

DANISH: dict[str, str] = {
    "title": "Privatlivspolitik for {name}",
    "trading_as": "Vi driver virksomhed under navnet {trading}.",
    "quoted": "\u00bb{text}\u00ab",
    "intro": "Version {version}, gældende fra {effective}.",
    "h.controller": "Hvem vi er, og hvordan du kontakter os",
    "h.properties": "Hvilke websteder politikken gælder for",
    "h.collection": "Hvad vi indsamler, og hvor",
    "h.security": "Sådan beskytter vi dine oplysninger",
    "h.uses": "Hvad vi bruger dine oplysninger til",
    "h.cookies": "Cookies",
    "h.log-files": "Logfiler",
    "h.sharing": "Hvem der modtager dine oplysninger",
    "h.outside-parties": "Eksterne parter, der modtager oplysninger til en tjeneste, du bestiller",
    "h.choices": "Dine valg, og hvordan du bruger dem",
    "h.external-links": "Links til andre websteder",
    "h.renewals": "Fornyelse",
    "h.changes": "Sådan offentliggør vi ændringer",
    "controller_is": (
        "{name} er dataansvarlig for behandlingen af de personoplysninger, der beskrives her."
    ),
    "controller_postal": "Postadresse: {address}.",
    "controller_email": "Send spørgsmål om privatliv til {email}.",
    "properties_intro": "Politikken gælder for disse websteder:",
    "property_item": "{site}: {description}",
    "browsing_nothing": (
        "Hvis du blot besøger vores websteder, sætter vi ingen cookies, som ikke er "
        "nødvendige; hvad vores webserver registrerer om dit besøg, og hvor længe, står under "
        "\u00bbLogfiler\u00ab."
    ),
    "collection_intro": (
        "Vi indsamler kun personoplysninger i formularerne nedenfor og kun de felter, "
        "der står ved hver af dem."
    ),
    "record_version": (
        "Med hver formular, du sender, gemmer vi, hvilken version af politikken du fik vist."
    ),
    "th.form": "Formular",
    "th.site": "Websted",
    "th.fields": "Det beder vi om",
    "th.form_choices": "Valg, du kan træffe her",
    "field": "{category} ({status})",
    "required": "skal udfyldes",
    "optional": "frivilligt",
    "nothing": "ingen",
    "security_intro": "Vi beskytter personoplysninger mod tab, misbrug og ændring:",
    "staff_intro": (
        "Hos {name} er det kun disse medarbejdere, der ser personoplysninger, og hver ser "
        "kun det, arbejdet kræver:"
    ),
    "staff_item": "{role}: {categories}",
    "staff_reads": "til {uses}: {categories}",
    "th.purpose": "Formål",
    "th.what": "Hvad vi gør",
    "th.data": "Oplysninger",
    "th.basis": "Behandlingsgrundlag",
    "th.choice": "Dit valg",
    "th.kept": "Opbevares",
    "cookies_rule": (
        "Nødvendige cookies sættes uden at spørge, fordi webstederne ikke virker uden dem. "
        "Alle andre cookies sættes først, når du har sagt ja til formålet."
    ),
    "cookies_no_personal": (
        "Vores cookies indeholder et tilfældigt id eller en indstilling (som din kurv eller "
        "dine valg), aldrig dit navn, din e-mailadresse eller dit kundenummer."
    ),
    "cookies_internal": (
        "Det, vores cookies registrerer, bliver hos os; vi giver det ikke videre til nogen."
    ),
    "cookies_third": (
        "En cookie fra en tredjepart tilhører den nævnte partner; vi hverken læser eller "
        "styrer den."
    ),
    "no_cookies": "Vi sætter ingen cookies.",
    "th.cookie": "Cookie",
    "th.set_by": "Sat af",
    "th.lifetime": "Levetid",
    "th.essential": "Nødvendig",
    "th.does": "Hvad den gør",
    "set_by_us": "os",
    "set_by_partner": "{partner} (tredjepart)",
    "yes": "ja",
    "no": "nej",
    "browser_session": "indtil du lukker browseren",
    "log_fields": (
        "For hver forespørgsel til vores websteder registrerer vores webservere: {fields}."
    ),
    "log_pseudonym": (
        "IP-adressen erstattes straks af et pseudonym med en nøgle, der skiftes {rotation}. "
        "Statistikken ser kun pseudonymet og netværksdelen af adressen (de første {v4} bit "
        "af en IPv4-adresse, {v6} bit af en IPv6-adresse)."
    ),
    "log_raw": (
        "Fulde IP-adresser gemmes i {retention} til fejlfinding på serverne, kan kun læses "
        "af {readers} og slettes derefter."
    ),
    "log_uses": "Vi bruger loggene til: {uses}.",
    "log_reports": "Rapporter, der laves ud fra dem: {reports}; de læses af {readers}.",
    "log_not_linked": (
        "Logdata kobles aldrig til en kundekonto eller til noget andet, der fortæller, hvem du er."
    ),
    "processors_intro": (
        "Disse virksomheder er vores databehandlere: de behandler oplysninger på vores vegne "
        "efter vores instruks og modtager kun det, formålet kræver:"
    ),
    "processor_item": "{name} ({country}): {description} Modtager {categories} til {uses}.",
    "no_processors": "Ingen virksomhed behandler personoplysninger på vores vegne.",
    "partners_intro": (
        "Vores partnere modtager kun samlede tal, aldrig oplysninger om en enkelt person:"
    ),
    "partner_item": "{name}: {description} Tal, der deles: {aggregates}.",
    "partner_min_cell": (
        "Tallene dækker hele kalendermåneder. Et tal under {k} udelades, og det samme gør "
        "mindst ét andet tal i samme række eller kolonne, så intet udeladt tal kan regnes ud "
        "fra totalerne."
    ),
    "partner_noise": (
        "Der lægges tilfældig støj til hvert tal (differential privacy: et privatlivstab på "
        "højst {epsilon} pr. udlevering og {budget} pr. måned af data)."
    ),
    "partner_counting": (
        "En besøgende tælles én gang for hver dag med besøg, en kunde én gang for hvert "
        "produkt, der er bestilt i en måned."
    ),
    "partner_release": (
        "Hver udlevering registreres: hvad der blev delt, med hvem, hvornår og under hvilken "
        "version af denne politik."
    ),
    "no_partners": ("Vi deler ingen personoplysninger med partnere, heller ikke som samlede tal."),
    "nobody_else": "Ingen andre modtager personoplysninger fra os.",
    "nobody_else_but_outside": (
        "Ud over de eksterne parter nedenfor modtager ingen andre personoplysninger fra os."
    ),
    "outside_always": (
        "Vi fortæller dig altid, før en ekstern part indsamler dine oplysninger, og du kan "
        "vælge ikke at fortsætte med den tjeneste, der kræver det."
    ),
    "outside_item": (
        "{name} modtager {categories} fra os til {uses} og er selv ansvarlig for dem derefter."
    ),
    "outside_forms": "Det sker ved: {forms}.",
    "outside_notice": (
        "Før vi sender noget til den, ser du denne besked og vælger, om du vil fortsætte: "
        "\u00bb{notice}\u00ab"
    ),
    "outside_privacy": "Dens egen privatlivspolitik: {link}",
    "no_outside": "Ingen ekstern part indsamler personoplysninger via vores websteder.",
    "choices_intro": "Du bestemmer selv over disse formål:",
    "choice_item": "{use}: {choice}. Du kan ændre dit valg {ways}.",
    "way_forms": "på hver formular, der giver dig valget",
    "way_portal": "på siden med indstillinger i {portal}",
    "way_orders": "på siden for hver ordre i {portal}",
    "way_email": "ved at skrive til {email}",
    "way_unsubscribe": "med afmeldingslinket i hver af disse e-mails",
    "way_cookie_settings": "i cookieindstillingerne på vores websteder",
    "no_choices": (
        "Alle formål her er nødvendige for tjenesten; der er ikke noget at vælge imellem."
    ),
    "service_mail": "Disse e-mails kan ikke fravælges, så længe du har en aktiv tjeneste:",
    "portal_contact": (
        "Du kan til enhver tid ændre dine kontaktoplysninger i {portal}; ændringen gælder "
        "med det samme, undtagen en ny e-mailadresse, som bliver dit login, når du bekræfter "
        "den med det link, vi sender til den."
    ),
    "portal_history": "Vi gemmer en historik over dine tidligere kontaktoplysninger.",
    "scope": "Politikken gælder kun for {sites}.",
    "other_sites": (
        "Andre websteder, vi linker til, har deres egne regler for privatliv, som denne "
        "politik ikke dækker."
    ),
    "marked_external": "Links, der fører væk fra vores websteder, er markeret som eksterne.",
    "update_page": (
        "Vi offentliggør hver version af politikken med en oversigt over ændringerne på "
        "siden med opdateringer: {link}."
    ),
    "notify": "Vi fortæller dig også om en ændring {ways}.",
    "notify.email": "pr. e-mail",
    "notify.banner": "med en besked på vores websteder",
    "reconsent": (
        "Hvis en ændring tilføjer et formål, der kræver dit samtykke, spørger vi dig igen, "
        "før det gælder for dig."
    ),
    "renewal_window": (
        "Vi tilbyder at forny en tjeneste fra {window}, før den udløber, til {grace} efter. "
        "Vi viser, hvad fornyelsen koster, og hvilken periode den betaler for, og trækker "
        "intet, før du har bekræftet."
    ),
    "renewal_automatic": (
        "En tjeneste fornyes kun af sig selv, hvis du slår automatisk fornyelse til for den; "
        "så trækkes beløbet på det gemte kort ved slutningen af hver periode, efter en "
        "påmindelse {reminder} før. Du kan slå det fra når som helst."
    ),
    "use_is_consent": (
        "Når du bruger vores websteder, gælder den version af politikken, der gælder på det "
        "tidspunkt; en ændring, der kræver dit samtykke, beder dig om det igen."
    ),
    "and": "og",
    "or": "eller",
}
