"""Seeded, varied participant profiles for `tavolo simulate`.

The same seed and sector list always give the same profiles, so a rehearsal can be repeated and a failure
reproduced. Names and organisations are invented but plausible; countries lean towards EU members, as at the
workshops Tavolo is made for.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

# One block per country: "CODE weight company-suffixes", then women's | men's first names, family names
# ("masculine/feminine" where the language inflects them), and regions or cities for organisation names.
_CULTURES = """
IT 16 SpA, S.r.l.
  Giulia, Chiara, Francesca, Sofia, Elena, Beatrice | Marco, Alessandro, Lorenzo, Matteo, Giuseppe, Niccolò
  Rossi, Bianchi, Ferrari, Esposito, Colombo, Ricci, Marino, Greco, Gallo, Conti, De Luca, Mancini, Lombardi
  Lombardy, Piedmont, Emilia-Romagna, Veneto, Tuscany, Apulia, Sardinia, Marche, Trentino, Campania
FR 10 SAS, S.A.
  Camille, Léa, Chloé, Élodie, Manon, Clémence, Océane | Théo, Hugo, Mathéo, Jérôme, François, Benoît
  Martin, Bernard, Dubois, Lefèvre, Moreau, Girard, Rousseau, Fournier, Lemaître, Garnier, Faure, Mercier
  Bretagne, Occitanie, Auvergne-Rhône-Alpes, Normandie, Grand Est, Hauts-de-France, Provence
DE 10 GmbH, AG
  Anna, Sophie, Lea, Hannah, Marie, Greta, Jutta | Lukas, Jürgen, Maximilian, Jörg, Felix, Björn
  Müller, Schmidt, Schneider, Fischer, Weiß, Schäfer, Koch, Hoffmann, Becker, Schröder, Köhler, Braun
  Saxony, Bavaria, Baden-Württemberg, Hesse, Lower Saxony, Thuringia, Brandenburg, North Rhine-Westphalia
ES 9 S.L., S.A.
  Lucía, María José, Carmen, Inés, Nuria, Begoña | Javier, Álvaro, Sergio, Adrián, Raúl, Íñigo
  García, Fernández, González, Rodríguez, López, Martínez, Sánchez, Pérez, Gómez, Jiménez, Ruiz, Muñoz
  Catalonia, Andalusia, Basque Country, Valencia, Galicia, Aragón, Navarre, Castilla y León
PL 7 Sp. z o.o., S.A.
  Zofia, Małgorzata, Agnieszka, Katarzyna, Joanna | Jakub, Piotr, Łukasz, Paweł, Wojciech
  Kowalski/Kowalska, Nowak, Wiśniewski/Wiśniewska, Wójcik, Kamiński/Kamińska, Lewandowski/Lewandowska
  Silesia, Pomerania, Masovia, Lesser Poland, Greater Poland, Lower Silesia, Podlasie
PT 5 Lda., S.A.
  Inês, Beatriz, Mariana, Leonor, Conceição | João, Tomás, Gonçalo, Rui, Sebastião
  Silva, Santos, Ferreira, Pereira, Oliveira, Costa, Rodrigues, Martins, Gonçalves, Magalhães
  Minho, Alentejo, Algarve, Centro, Lisbon, Porto, Madeira, Azores
NL 5 B.V., N.V.
  Sanne, Femke, Lieke, Maartje, Anouk | Daan, Bram, Joris, Sven, Thijs
  de Vries, van den Berg, Jansen, Bakker, Visser, Smit, de Jong, van Dijk, Mulder, Hendriks
  Eindhoven, Delft, Twente, Groningen, Brabant, Limburg, Utrecht, Zeeland
BE 4 NV, SRL
  Lotte, Elise, Margaux, Amélie | Wout, Arnaud, Pieter, Jens
  Peeters, Janssens, Maes, Claes, Dubois, Lambert, Vermeulen, Desmet, Goossens
  Flanders, Wallonia, Brussels, Ghent, Liège, Antwerp, Leuven
DK 3 A/S, ApS
  Mette, Ida, Freja, Sigrid | Søren, Jørgen, Rasmus, Anders, Mads
  Kierkegaard, Jensen, Nielsen, Hansen, Pedersen, Andersen, Sørensen, Møller, Østergaard
  Aarhus, Aalborg, Odense, Copenhagen, Funen, Jutland, Zealand
SE 3 AB
  Åsa, Linnéa, Maja, Ingrid, Saga | Erik, Oskar, Björn, Nils
  Andersson, Johansson, Karlsson, Nilsson, Ekström, Lindqvist, Sjöberg, Åberg, Holmström
  Skåne, Gothenburg, Uppsala, Norrland, Västerbotten, Linköping, Lund
FI 3 Oy
  Aino, Siiri, Päivi, Iida, Kaisa | Eero, Juha, Väinö, Mikko
  Korhonen, Virtanen, Mäkinen, Nieminen, Hämäläinen, Laine, Heikkinen, Järvinen, Lehtonen
  Oulu, Tampere, Espoo, Turku, Lapland, Jyväskylä, Kuopio
CZ 3 s.r.o., a.s.
  Tereza, Kateřina, Lucie, Zuzana | Jiří, Tomáš, Ondřej, Vojtěch
  Novák/Nováková, Svoboda/Svobodová, Dvořák/Dvořáková, Černý/Černá, Kučera/Kučerová, Veselý/Veselá
  Moravia, Bohemia, Brno, Ostrava, Plzeň, Liberec, Olomouc
RO 3 S.R.L., S.A.
  Ioana, Mihaela, Alexandra, Oana | Andrei, Ștefan, Răzvan, Bogdan
  Popescu, Ionescu, Constantinescu, Dumitrescu, Stănescu, Munteanu, Țurcanu, Gheorghiu
  Transylvania, Banat, Moldavia, Cluj, Timișoara, Iași, Brașov
GR 3 S.A., IKE
  Eleni, Katerina, Maria, Sofia, Anastasia | Giorgos, Dimitris, Nikos, Kostas
  Papadopoulos/Papadopoulou, Georgiou, Oikonomou, Nikolaidis/Nikolaidou, Vlachos/Vlachou, Christodoulou
  Thessaly, Crete, Attica, Macedonia, Epirus, Peloponnese, Thessaloniki
AT 2 GmbH
  Lena, Magdalena, Theresa | Florian, Stefan, Andreas
  Gruber, Huber, Wagner, Pichler, Steiner, Moser, Hofer
  Styria, Tyrol, Upper Austria, Carinthia, Vienna, Salzburg
IE 2 Ltd
  Aoife, Niamh, Siobhán | Seán, Ciarán, Pádraig
  Murphy, Kelly, O'Sullivan, Walsh, Ó Briain, McCarthy
  Munster, Connacht, Leinster, Cork, Galway, Limerick
HR 1 d.o.o.
  Ana, Petra, Mateja | Luka, Ivan
  Horvat, Kovačević, Babić, Marić, Jurić
  Dalmatia, Istria, Zagreb, Split
SI 1 d.o.o.
  Nika, Maja | Žiga, Matej
  Novak, Horvat, Kranjc, Zupančič
  Ljubljana, Maribor, Gorenjska
SK 1 s.r.o.
  Zuzana, Lucia | Martin, Marek
  Horváth/Horváthová, Kováč/Kováčová, Varga/Vargová
  Košice, Bratislava, Žilina, Nitra
HU 1 Kft.
  Eszter, Réka | Bence, Gergő
  Nagy, Kovács, Szabó, Tóth, Horváth
  Debrecen, Szeged, Pécs, Győr
LT 1 UAB
  Gintarė, Rūta | Mindaugas, Jonas
  Kazlauskas/Kazlauskienė, Petrauskas/Petrauskienė, Jankauskas/Jankauskienė
  Kaunas, Vilnius, Klaipėda
EE 1 OÜ
  Kadri, Liis | Mart, Tõnu
  Tamm, Saar, Sepp, Mägi
  Tartu, Tallinn, Pärnu
NO 1 AS
  Ingrid, Solveig | Øystein, Håkon
  Hansen, Johansen, Løvås, Bjørnstad
  Trondheim, Bergen, Stavanger
CH 1 AG, SA
  Anna, Chiara | Luca, Reto
  Meier, Rossi, Keller, Favre
  Ticino, Zürich, Vaud, Basel
TR 1 A.Ş.
  Ayşe, Elif | Mehmet, Çağrı
  Yılmaz, Kaya, Demir, Şahin
  İzmir, Ankara, Bursa, Kocaeli
MA 1 SARL
  Yasmine, Salma | Youssef, Karim
  El Amrani, Benjelloun, Alaoui, Chraibi
  Casablanca, Tangier, Agadir
TN 1 SARL
  Amira, Ines | Mehdi, Sami
  Ben Salah, Trabelsi, Gharbi, Jaziri
  Sfax, Sousse, Tunis
JP 1 K.K.
  Haruka, Yui | Kenji, Takumi
  Satō, Suzuki, Takahashi, Watanabe
  Osaka, Kyushu, Nagoya, Sendai
BR 1 Ltda.
  Ana Luíza, Letícia | João Pedro, Caio
  Souza, Lima, Araújo, Carvalho
  Campinas, Recife, Curitiba
IN 1 Pvt Ltd
  Priya, Ananya | Arjun, Rahul
  Sharma, Iyer, Patel, Nair
  Pune, Bengaluru, Chennai, Hyderabad
"""  # noqa: RUF001 (the dotless i of Turkish names is intended)

_THEMES = [
    "Energy", "Mobility", "Agrifood", "Health", "Maritime", "Digital", "Textile", "Aerospace", "Wood",
    "Water", "Cleantech", "Photonics", "Tourism", "Furniture", "Circular Economy", "Biotech", "Logistics",
    "Mechatronics", "Creative Industries", "Smart Materials",
]  # fmt: skip
_WORDS = [
    "Nova", "Tecno", "Blue", "Verde", "Nord", "Alpha", "Delta", "Orbit", "Helio", "Terra", "Agro", "Kinetic",
    "Lumen", "Vela", "Quanta", "Fjord", "Sol", "Tera", "Boreal", "Mare",
]  # fmt: skip
_TAILS = ["Systems", "Labs", "Solutions", "Engineering", "Foods", "Robotics", "Analytics", "Materials"]
_ROLES = [
    "Cluster manager", "Project officer", "CEO", "Innovation manager", "Researcher", "Policy advisor",
    "Business developer", "Head of international relations", "CTO", "PhD candidate", "Programme manager",
    "Internationalisation officer", "Founder", "Technology transfer officer", "Communication officer",
]  # fmt: skip


@dataclass(frozen=True)
class _Culture:
    weight: int
    suffixes: list[str]
    women: list[str]
    men: list[str]
    families: list[tuple[str, str]]  # (masculine, feminine)
    places: list[str]


def _items(line: str) -> list[str]:
    return [item.strip() for item in line.split(",")]


def _parse(text: str) -> dict[str, _Culture]:
    lines = [line for line in text.splitlines() if line.strip()]
    cultures = {}
    for i in range(0, len(lines), 4):
        code, weight, suffixes = lines[i].split(" ", 2)
        women, men = lines[i + 1].split("|")
        families = [(f.split("/")[0], f.split("/")[-1]) for f in _items(lines[i + 2])]
        cultures[code] = _Culture(int(weight), _items(suffixes), _items(women), _items(men), families,
                                  _items(lines[i + 3]))  # fmt: skip
    return cultures


_TABLE = _parse(_CULTURES)
_COUNTRIES = list(_TABLE)
_WEIGHTS = [culture.weight for culture in _TABLE.values()]


@dataclass(frozen=True)
class Profile:
    """What one simulated participant types into the join form."""

    name: str
    organisation: str
    country: str
    sector: str
    role: str | None
    language: str

    def join_args(self) -> dict[str, str]:
        """The `join` command's arguments, without the token."""
        args = {"name": self.name, "organisation": self.organisation, "country": self.country,
                "sector": self.sector, "language": self.language}  # fmt: skip
        if self.role is not None:
            args["role"] = self.role
        return args


def _organisation(rng: random.Random, country: str) -> str:
    culture = _TABLE[country]
    place, theme, kind = rng.choice(culture.places), rng.choice(_THEMES), rng.randrange(10)
    if kind < 3:
        return rng.choice([f"{place} {theme} Cluster", f"{theme} Valley {place}", f"Cluster {theme} {place}"])
    if kind < 5:
        return rng.choice([f"University of {place}", f"{place} University of Technology", f"TU {place}",
                           f"Polytechnic of {place}", f"{place} Institute for {theme} Research"])  # fmt: skip
    if kind < 7:
        return rng.choice([f"{place} Development Agency", f"Chamber of Commerce of {place}",
                           f"{place} Innovation Hub", f"Regional Agency for {theme}, {place}"])  # fmt: skip
    if kind < 8 and country == "FR":
        return f"Pôle {theme} {place}"
    word, tail, suffix = rng.choice(_WORDS), rng.choice(_TAILS), rng.choice(culture.suffixes)
    family = rng.choice(culture.families)[0]
    return rng.choice([f"{word}{tail.lower()} {suffix}", f"{word} {tail} {suffix}", f"{family} & Partners {suffix}"])


def make_profiles(seed: int, count: int, sectors: Sequence[str]) -> list[Profile]:
    """`count` profiles drawn from `random.Random(seed)`; the same arguments always give the same list."""
    if not sectors:
        raise ValueError("the workshop has no sectors to choose from")
    rng = random.Random(seed)
    profiles = []
    for _ in range(count):
        country = rng.choices(_COUNTRIES, _WEIGHTS)[0]
        culture = _TABLE[country]
        woman = rng.random() < 0.5
        first = rng.choice(culture.women if woman else culture.men)
        family = rng.choice(culture.families)[1 if woman else 0]
        italian = country in ("IT", "CH") and rng.random() < 0.7
        profiles.append(
            Profile(
                name=f"{first} {family}",
                organisation=_organisation(rng, country),
                country=country,
                sector=rng.choice(list(sectors)),
                role=rng.choice(_ROLES) if rng.random() < 0.75 else None,
                language="it" if italian or rng.random() < 0.03 else "en",
            )
        )
    return profiles
