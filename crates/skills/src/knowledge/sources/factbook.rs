//! The CIA World Factbook (public domain), one JSON file per country:
//! `factbook/<region>/<code>.json` = `{section: {field: {"text": …} | {subfield: {"text": …}}}}`,
//! values being small HTML fragments. Key fields become table rows, the background and the
//! economic overview become text passages.

use std::path::Path;

use serde_json::Value;

use super::{read, require_dir, SourceDoc, SourceHasher, SourceRead};
use crate::knowledge::linearise::{clean_html, split_passages, table_row, with_full_stop};
use crate::knowledge::{KnowledgeError, PassageKind};

pub const SOURCE: &str = "CIA World Factbook";

/// Which subfields of a field make up its row.
#[derive(Clone, Copy)]
enum Parts {
    /// Every subfield but the notes; of a yearly series only the latest year.
    All,
    /// These subfields, in this order; a single one is shown without its name.
    Only(&'static [&'static str]),
}

/// A Factbook field that becomes one table row per country.
struct Field {
    section: &'static str,
    name: &'static str,
    /// Last part of the passage id: `factbook/<code>/<slug>`.
    slug: &'static str,
    /// The field's name in the row's text.
    label: &'static str,
    /// Words people use when asking for it (searched, not shown).
    aliases: &'static str,
    parts: Parts,
}

const fn field(
    section: &'static str,
    name: &'static str,
    slug: &'static str,
    label: &'static str,
    aliases: &'static str,
    parts: Parts,
) -> Field {
    Field {
        section,
        name,
        slug,
        label,
        aliases,
        parts,
    }
}

const GOV: &str = "Government";
const GEO: &str = "Geography";
const PEOPLE: &str = "People and Society";
const ECON: &str = "Economy";
const COMMS: &str = "Communications";

// One row per line reads as a table; rustfmt would spread each over eight lines.
#[rustfmt::skip]
const FIELDS: &[Field] = &[
    field(GOV, "Capital", "capital", "capital", "capital city seat of government", Parts::Only(&["name"])),
    field(GOV, "Capital", "time-zone", "time difference (capital)", "time zone clock hours utc gmt", Parts::Only(&["time difference"])),
    field(GOV, "Country name", "name", "country name", "official name called named etymology", Parts::Only(&["conventional long form", "conventional short form", "local long form", "former", "etymology"])),
    field(GOV, "Government type", "government", "government type", "form of government political system regime", Parts::All),
    field(GOV, "Executive branch", "leaders", "executive branch", "leader leads heads runs rules governs in charge head of state head of government president prime minister king queen monarch ruler", Parts::Only(&["chief of state", "head of government"])),
    field(GOV, "Independence", "independence", "independence", "independent independence became founded date", Parts::All),
    field(GOV, "National holiday", "national-holiday", "national holiday", "national day holiday celebrate", Parts::All),
    field(GOV, "Administrative divisions", "divisions", "administrative divisions", "states provinces regions districts divisions", Parts::All),
    field(GOV, "Legal system", "legal-system", "legal system", "law laws legal system courts", Parts::All),
    field(GOV, "Suffrage", "suffrage", "suffrage", "voting age vote elections", Parts::All),
    field(GOV, "National anthem(s)", "anthem", "national anthem", "anthem song", Parts::Only(&["title", "lyrics/music"])),
    field(GOV, "National symbol(s)", "symbols", "national symbols", "symbol emblem animal", Parts::All),
    field(GOV, "National color(s)", "colors", "national colors", "colours colors", Parts::All),
    field(GOV, "Flag", "flag", "flag", "flag colours colors", Parts::All),
    field(GEO, "Location", "location", "location", "where located situated lies continent region", Parts::All),
    field(GEO, "Geographic coordinates", "coordinates", "geographic coordinates", "latitude longitude coordinates", Parts::All),
    field(GEO, "Area", "area", "area", "size how big large square kilometres kilometers km surface", Parts::Only(&["total", "land", "water"])),
    field(GEO, "Area - comparative", "area-comparative", "area comparison", "size how big large compared comparison", Parts::All),
    field(GEO, "Land boundaries", "borders", "land boundaries", "borders border neighbours neighbors bordering neighbouring countries", Parts::Only(&["total", "border countries"])),
    field(GEO, "Coastline", "coastline", "coastline", "coast shore sea", Parts::All),
    field(GEO, "Climate", "climate", "climate", "weather temperature seasons", Parts::All),
    field(GEO, "Terrain", "terrain", "terrain", "landscape relief land mountains plains", Parts::All),
    field(GEO, "Elevation", "elevation", "elevation", "highest mountain peak lowest point altitude tallest height", Parts::Only(&["highest point", "lowest point", "mean elevation"])),
    field(GEO, "Natural resources", "resources", "natural resources", "resources minerals raw materials", Parts::All),
    field(GEO, "Natural hazards", "hazards", "natural hazards", "disasters hazards earthquakes floods", Parts::All),
    field(GEO, "Major rivers (by length in km)", "rivers", "major rivers", "river rivers longest", Parts::All),
    field(PEOPLE, "Population", "population", "population", "people inhabitants residents live living population size", Parts::Only(&["total", "male", "female"])),
    field(PEOPLE, "Nationality", "nationality", "nationality", "demonym citizens called people nationality", Parts::Only(&["noun", "adjective"])),
    field(PEOPLE, "Ethnic groups", "ethnic-groups", "ethnic groups", "ethnicity ethnic groups races", Parts::All),
    field(PEOPLE, "Languages", "languages", "languages", "language speak spoken tongue official", Parts::All),
    field(PEOPLE, "Religions", "religions", "religions", "religion religious faith believe worship church catholic christian muslim islam buddhist hindu jewish", Parts::All),
    field(PEOPLE, "Median age", "median-age", "median age", "age old average", Parts::Only(&["total", "male", "female"])),
    field(PEOPLE, "Population growth rate", "population-growth", "population growth rate", "growth growing", Parts::All),
    field(PEOPLE, "Birth rate", "birth-rate", "birth rate", "births born babies", Parts::All),
    field(PEOPLE, "Death rate", "death-rate", "death rate", "deaths die mortality", Parts::All),
    field(PEOPLE, "Major urban areas - population", "cities", "major cities", "cities city largest biggest urban areas towns", Parts::All),
    field(PEOPLE, "Life expectancy at birth", "life-expectancy", "life expectancy at birth", "life expectancy how long live lifespan", Parts::Only(&["total population", "male", "female"])),
    field(PEOPLE, "Total fertility rate", "fertility", "total fertility rate", "children per woman fertility", Parts::All),
    field(PEOPLE, "Literacy", "literacy", "literacy", "literacy read write literate", Parts::Only(&["definition", "total population", "male", "female"])),
    field(ECON, "Real GDP (purchasing power parity)", "gdp-ppp", "real GDP (purchasing power parity)", "gdp gross domestic product economy size", Parts::All),
    field(ECON, "Real GDP per capita", "gdp-per-capita", "real GDP per capita", "gdp per capita income per person wealth rich poor", Parts::All),
    field(ECON, "Real GDP growth rate", "gdp-growth", "real GDP growth rate", "economic growth gdp", Parts::All),
    field(ECON, "Inflation rate (consumer prices)", "inflation", "inflation rate", "inflation prices", Parts::All),
    field(ECON, "Unemployment rate", "unemployment", "unemployment rate", "unemployment unemployed jobless jobs", Parts::All),
    field(ECON, "Industries", "industries", "industries", "industry industries manufacturing", Parts::All),
    field(ECON, "Agricultural products", "agriculture", "agricultural products", "agriculture farming crops grow", Parts::All),
    field(ECON, "Exports - commodities", "exports", "export commodities", "exports export sell main", Parts::All),
    field(ECON, "Exports - partners", "export-partners", "export partners", "exports trade partners sell to buyers customers", Parts::All),
    field(ECON, "Imports - commodities", "imports", "import commodities", "imports import buy", Parts::All),
    field(COMMS, "Internet country code", "internet-code", "internet country code", "internet domain tld web", Parts::All),
];

pub fn read_factbook(dir: &Path) -> Result<SourceRead, KnowledgeError> {
    require_dir(dir)?;
    let mut files = Vec::new();
    for region in sorted_entries(dir)? {
        if region.is_dir() {
            files.extend(
                sorted_entries(&region)?
                    .into_iter()
                    .filter(|p| p.extension().is_some_and(|e| e == "json")),
            );
        }
    }
    if files.is_empty() {
        return Err(KnowledgeError::Source {
            path: dir.to_path_buf(),
            reason: "no <region>/<code>.json files".into(),
        });
    }
    let mut out = SourceRead::default();
    let mut hasher = SourceHasher::new();
    for path in &files {
        let bytes = read(path)?;
        let name = path.strip_prefix(dir).unwrap_or(path).to_string_lossy();
        hasher.add(&name, &bytes);
        out.files += 1;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(json) if json.is_object() => out.docs.extend(country_docs(path, &json)),
            Ok(_) => skip(&mut out, path, "not a JSON object"),
            Err(e) => skip(&mut out, path, &e.to_string()),
        }
    }
    out.sha256 = hasher.finish();
    Ok(out)
}

fn skip(out: &mut SourceRead, path: &Path, why: &str) {
    tracing::warn!("skipping Factbook file {}: {why}", path.display());
    out.skipped += 1;
}

fn sorted_entries(dir: &Path) -> Result<Vec<std::path::PathBuf>, KnowledgeError> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| KnowledgeError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    v.sort();
    Ok(v)
}

/// What each kind of Factbook passage answers, keyed as [`intent_of`] keys a passage id: the
/// field's label and the words people ask for it with (the re-ranker embeds these).
pub fn intents() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = FIELDS
        .iter()
        .map(|f| (intent_key(f.slug), format!("{} {}", f.label, f.aliases)))
        .collect();
    for (slug, words) in [
        ("currency", "currency money exchange rate dollar"),
        ("background", "history background"),
        ("economy", "economy economic overview"),
    ] {
        out.push((intent_key(slug), words.to_string()));
    }
    out
}

/// The intent of a Factbook passage id (`factbook/<code>/<slug>[/<i>]`), `None` for another
/// source's id.
pub fn intent_of(id: &str) -> Option<String> {
    let mut parts = id.strip_prefix("factbook/")?.split('/');
    let _code = parts.next()?;
    parts.next().map(intent_key)
}

fn intent_key(slug: &str) -> String {
    format!("factbook:{slug}")
}

/// The passages of one country file.
fn country_docs(path: &Path, json: &Value) -> Vec<SourceDoc> {
    let code = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let region = path
        .parent()
        .and_then(|p| p.file_name())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let names = CountryNames::of(json, &region);
    let mut docs = Vec::new();
    let mut row = |slug: &str, label: &str, value: &str, aliases: &str| {
        docs.push(SourceDoc {
            id: format!("factbook/{code}/{slug}"),
            source: SOURCE,
            kind: PassageKind::Table,
            title: names.display.clone(),
            text: table_row(&names.display, label, value),
            keywords: format!("{} {aliases}", names.aliases),
            names: names.names.clone(),
            usage: 0,
        });
    };
    for f in FIELDS {
        if let Some(value) = json
            .get(f.section)
            .and_then(|s| s.get(f.name))
            .and_then(|v| render(v, f.parts))
        {
            row(f.slug, f.label, &value, f.aliases);
        }
    }
    if let Some(value) = json
        .get(ECON)
        .and_then(|s| s.get("Exchange rates"))
        .and_then(currency)
    {
        row(
            "currency",
            "currency",
            &value,
            "currency money exchange rate dollar",
        );
    }
    let texts = [
        (
            "Introduction",
            "Background",
            "background",
            "history background",
        ),
        (
            ECON,
            "Economic overview",
            "economy",
            "economy economic overview",
        ),
    ];
    for (section, name, slug, aliases) in texts {
        let Some(text) = json
            .get(section)
            .and_then(|s| s.get(name))
            .and_then(|v| v.get("text"))
            .and_then(Value::as_str)
        else {
            continue;
        };
        for (i, p) in split_passages(&clean_html(text)).into_iter().enumerate() {
            docs.push(SourceDoc {
                id: format!("factbook/{code}/{slug}/{i}"),
                source: SOURCE,
                kind: PassageKind::Text,
                title: names.display.clone(),
                text: with_full_stop(format!("{}: {p}", names.display)),
                keywords: format!("{} {aliases}", names.aliases),
                names: names.names.clone(),
                usage: 0,
            });
        }
    }
    docs
}

/// The name a country is shown by, and the other names it is searched by.
struct CountryNames {
    display: String,
    /// The display name, the short and long forms and the abbreviation.
    names: Vec<String>,
    /// The names and the nationality ("Australian(s)"), as one text.
    aliases: String,
}

impl CountryNames {
    fn of(json: &Value, region: &str) -> Self {
        let gov = json.get(GOV);
        let text = |field: &str, sub: &str| -> Option<String> {
            let t = gov?.get(field)?.get(sub)?.get("text")?.as_str()?;
            let t = clean_html(t);
            (!t.is_empty() && !t.eq_ignore_ascii_case("none")).then_some(t)
        };
        let short = text("Country name", "conventional short form");
        let long = text("Country name", "conventional long form")
            .or_else(|| text("Union name", "conventional long form"));
        let abbreviation =
            text("Country name", "abbreviation").or(text("Union name", "abbreviation"));
        // An abbreviation ("DRC") reads worse than the long form.
        let display = short
            .clone()
            .filter(|s| s.chars().any(|c| c.is_lowercase()))
            .or_else(|| long.clone())
            .or_else(|| short.clone())
            .unwrap_or_else(|| title_case(region));
        let people = json.get(PEOPLE).and_then(|p| p.get("Nationality"));
        let nationality: Vec<String> = ["noun", "adjective"]
            .into_iter()
            .filter_map(|k| people?.get(k)?.get("text")?.as_str().map(clean_html))
            .collect();
        let mut names = vec![display.clone()];
        for n in [short, long, abbreviation].into_iter().flatten() {
            // "The Gambia" is asked about as "Gambia", "Congo (Brazzaville)" as "Congo".
            let plain = n.strip_prefix("The ").unwrap_or(&n);
            // "Holy See (Vatican City)" is also asked about as "Vatican City".
            let inner = plain
                .split_once(" (")
                .and_then(|(_, rest)| rest.strip_suffix(')'))
                .map(str::to_string);
            let plain = plain.split(" (").next().unwrap_or(plain).to_string();
            for v in [Some(n), Some(plain), inner].into_iter().flatten() {
                if !names.contains(&v) {
                    names.push(v);
                }
            }
        }
        let aliases = names
            .iter()
            .cloned()
            .chain(nationality.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        // "Belgian national anthem": the nationality names the country too. "Briton(s),
        // British (collective plural)" gives "Briton" and "British".
        for n in nationality.iter().flat_map(|t| t.split([',', ';'])) {
            let n = n.split('(').next().unwrap_or(n).trim().to_string();
            if !n.is_empty() && n.split_whitespace().count() <= 3 && !names.contains(&n) {
                names.push(n);
            }
        }
        CountryNames {
            display,
            names,
            aliases,
        }
    }
}

fn title_case(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A field's value as text, or `None` when it has none.
fn render(v: &Value, parts: Parts) -> Option<String> {
    if let Some(t) = v.get("text").and_then(Value::as_str) {
        return non_empty(tidy_value(&clean_html(t)));
    }
    let obj = v.as_object()?;
    let text_of = |sub: &Value| {
        sub.get("text")
            .and_then(Value::as_str)
            .map(|t| tidy_value(&clean_html(t)))
            .filter(|t| !t.is_empty())
    };
    let pieces: Vec<(String, String)> = match parts {
        Parts::Only(keys) => keys
            .iter()
            .filter_map(|k| {
                let sub = obj.iter().find(|(name, _)| name.trim() == *k)?.1;
                Some((k.to_string(), text_of(sub)?))
            })
            .collect(),
        Parts::All => {
            let latest = latest_year(obj.keys());
            obj.iter()
                .filter(|(k, _)| *k != "note")
                .filter(|(k, _)| year_suffix(k).is_none_or(|y| Some(y) == latest))
                .filter_map(|(k, sub)| {
                    let name = if year_suffix(k).is_some() {
                        String::new()
                    } else {
                        lower_first(k.trim())
                    };
                    Some((name, text_of(sub)?))
                })
                .collect()
        }
    };
    let single = matches!(parts, Parts::Only(keys) if keys.len() == 1) || pieces.len() == 1;
    let joined = pieces
        .into_iter()
        .map(|(k, t)| {
            if single || k.is_empty() {
                t
            } else {
                format!("{k}: {t}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    non_empty(joined)
}

/// "Australian dollars (AUD) per US dollar: 1.515 (2024 est.)" from the exchange-rate series.
fn currency(v: &Value) -> Option<String> {
    let obj = v.as_object()?;
    let name = obj
        .get("Currency")
        .and_then(|c| c.get("text"))
        .and_then(Value::as_str)
        .map(|t| tidy_value(&clean_html(t)))
        .filter(|t| !t.is_empty())?;
    let latest = latest_year(obj.keys());
    let rate = obj
        .iter()
        .find(|(k, _)| latest.is_some() && year_suffix(k) == latest)
        .and_then(|(_, r)| r.get("text"))
        .and_then(Value::as_str)
        .map(|t| tidy_value(&clean_html(t)));
    Some(match rate {
        Some(r) if !r.is_empty() => format!("{name}: {r}"),
        _ => name,
    })
}

/// "Exchange rates 2024" → 2024.
fn year_suffix(key: &str) -> Option<u32> {
    let (_, last) = key.trim().rsplit_once(' ')?;
    (last.len() == 4)
        .then(|| last.parse().ok())
        .flatten()
        .filter(|y| (1900..2200).contains(y))
}

fn latest_year<'a>(keys: impl Iterator<Item = &'a String>) -> Option<u32> {
    keys.filter_map(|k| year_suffix(k)).max()
}

/// Drops the dangling separators the Factbook leaves ("… per US dollar -").
fn tidy_value(s: &str) -> String {
    s.trim()
        .trim_end_matches([' ', '-', ':', ';', ','])
        .to_string()
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_render_as_row_text() {
        let area = json!({"total ": {"text": "7,741,220 sq km"}, "land": {"text": "7,682,300 sq km"},
            "water": {"text": "58,920 sq km"}, "note": "x"});
        assert_eq!(
            render(&area, Parts::Only(&["total", "land", "water"])).unwrap(),
            "total: 7,741,220 sq km; land: 7,682,300 sq km; water: 58,920 sq km"
        );
        let cap = json!({"name": {"text": "Canberra"}, "etymology": {"text": "…"}});
        assert_eq!(render(&cap, Parts::Only(&["name"])).unwrap(), "Canberra");
        let series = json!({"Real GDP per capita 2023": {"text": "$60,500"},
            "Real GDP per capita 2024": {"text": "$60,100 (2024 est.)"}, "note": "n"});
        assert_eq!(render(&series, Parts::All).unwrap(), "$60,100 (2024 est.)");
        assert_eq!(render(&json!({"text": "  "}), Parts::All), None);
    }

    #[test]
    fn currency_takes_the_latest_rate() {
        let v = json!({"Currency": {"text": "Australian dollars (AUD) per US dollar -"},
            "Exchange rates 2023": {"text": "1.505 (2023 est.)"},
            "Exchange rates 2024": {"text": "1.515 (2024 est.)"}});
        assert_eq!(
            currency(&v).unwrap(),
            "Australian dollars (AUD) per US dollar: 1.515 (2024 est.)"
        );
    }

    #[test]
    fn names_prefer_a_readable_short_form() {
        let j = json!({"Government": {"Country name": {
            "conventional short form": {"text": "DRC"},
            "conventional long form": {"text": "Democratic Republic of the Congo"}}}});
        assert_eq!(
            CountryNames::of(&j, "africa").display,
            "Democratic Republic of the Congo"
        );
        let j = json!({"Government": {"Country name": {
            "conventional short form": {"text": "none"},
            "conventional long form": {"text": "United Arab Emirates"}}}});
        assert_eq!(
            CountryNames::of(&j, "middle-east").display,
            "United Arab Emirates"
        );
        assert_eq!(CountryNames::of(&json!({}), "world").display, "World");
    }
}
