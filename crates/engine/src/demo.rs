//! Demo data: a fashion, cosmetics and café business with Persian customers across Iran. The same
//! seed and end date always give the same data. Spend is heavy-tailed (a few customers buy a lot),
//! a third of customers stop buying, and sales peak before Nowruz, at Yalda and on Black Friday.

use jiff::civil::Date;
use philia_domain::calendar::gregorian_to_jalali;
use philia_domain::catalogue::{BranchInput, CategoryInput, ProductInput};
use philia_domain::customer::{CustomerInput, ExternalIdInput};
use philia_domain::event::EventInput;
use philia_domain::invoice::{CustomerRefInput, InvoiceInput, LineInput};

/// SplitMix64: small, fast and the same on every platform.
#[derive(Clone)]
pub struct DemoRng(u64);

impl DemoRng {
    pub fn new(seed: u64) -> Self {
        DemoRng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u32 = items.iter().map(|i| i.1).sum();
        let mut x = self.below(total as u64) as u32;
        for (item, w) in items {
            if x < *w {
                return item;
            }
            x -= w;
        }
        &items[0].0
    }
}

const FEMALE: [(&str, &str); 20] = [
    ("سارا", "sara"),
    ("مریم", "maryam"),
    ("فاطمه", "fatemeh"),
    ("زهرا", "zahra"),
    ("نگار", "negar"),
    ("الهام", "elham"),
    ("نرگس", "narges"),
    ("مهسا", "mahsa"),
    ("نازنین", "nazanin"),
    ("ریحانه", "reyhaneh"),
    ("پریسا", "parisa"),
    ("شیما", "shima"),
    ("یاسمن", "yasaman"),
    ("آزاده", "azadeh"),
    ("لیلا", "leila"),
    ("هانیه", "haniyeh"),
    ("کیمیا", "kimia"),
    ("مهتاب", "mahtab"),
    ("رها", "raha"),
    ("ترانه", "taraneh"),
];
const MALE: [(&str, &str); 20] = [
    ("علی", "ali"),
    ("محمد", "mohammad"),
    ("حسین", "hossein"),
    ("رضا", "reza"),
    ("امیر", "amir"),
    ("مهدی", "mahdi"),
    ("حمید", "hamid"),
    ("سعید", "saeed"),
    ("پویا", "pouya"),
    ("آرش", "arash"),
    ("کاوه", "kaveh"),
    ("بهرام", "bahram"),
    ("میلاد", "milad"),
    ("سینا", "sina"),
    ("نیما", "nima"),
    ("فرهاد", "farhad"),
    ("امید", "omid"),
    ("مجید", "majid"),
    ("بابک", "babak"),
    ("کیان", "kian"),
];
const LAST: [(&str, &str); 24] = [
    ("احمدی", "ahmadi"),
    ("محمدی", "mohammadi"),
    ("حسینی", "hosseini"),
    ("رضایی", "rezaei"),
    ("کریمی", "karimi"),
    ("موسوی", "mousavi"),
    ("جعفری", "jafari"),
    ("کاظمی", "kazemi"),
    ("رحیمی", "rahimi"),
    ("صادقی", "sadeghi"),
    ("نوری", "nouri"),
    ("تهرانی", "tehrani"),
    ("اکبری", "akbari"),
    ("قاسمی", "ghasemi"),
    ("سلیمانی", "soleimani"),
    ("شریفی", "sharifi"),
    ("عباسی", "abbasi"),
    ("زارعی", "zarei"),
    ("یزدانی", "yazdani"),
    ("فراهانی", "farahani"),
    ("نجفی", "najafi"),
    ("بهرامی", "bahrami"),
    ("طاهری", "taheri"),
    ("مرادی", "moradi"),
];
const PLACES: [((&str, &[&str]), u32); 12] = [
    (("تهران", &["تهران", "تهران", "تهران", "شمیرانات", "اسلامشهر"]), 30),
    (("اصفهان", &["اصفهان", "اصفهان", "کاشان"]), 10),
    (("خراسان رضوی", &["مشهد", "مشهد", "نیشابور"]), 10),
    (("فارس", &["شیراز", "شیراز", "مرودشت"]), 8),
    (("البرز", &["کرج"]), 8),
    (("آذربایجان شرقی", &["تبریز", "تبریز", "مراغه"]), 7),
    (("خوزستان", &["اهواز", "آبادان"]), 6),
    (("گیلان", &["رشت", "بندر انزلی"]), 5),
    (("مازندران", &["ساری", "بابل"]), 5),
    (("کرمان", &["کرمان"]), 4),
    (("قم", &["قم"]), 4),
    (("یزد", &["یزد"]), 3),
];
const MOBILE_PREFIXES: [&str; 10] = ["912", "935", "919", "901", "936", "921", "990", "917", "913", "933"];

/// (code, name, parent)
pub const CATEGORIES: [(&str, &str, Option<&str>); 12] = [
    ("fashion", "پوشاک", None),
    ("fashion-women", "پوشاک زنانه", Some("fashion")),
    ("fashion-men", "پوشاک مردانه", Some("fashion")),
    ("shoes", "کفش", Some("fashion")),
    ("beauty", "آرایشی و بهداشتی", None),
    ("makeup", "آرایشی", Some("beauty")),
    ("skincare", "مراقبت پوست", Some("beauty")),
    ("perfume", "عطر", Some("beauty")),
    ("cafe", "کافه", None),
    ("coffee", "قهوه", Some("cafe")),
    ("cake", "کیک و شیرینی", Some("cafe")),
    ("cold-drinks", "نوشیدنی سرد", Some("cafe")),
];

/// (sku, name, category, price in toman)
pub const PRODUCTS: [(&str, &str, &str, i64); 30] = [
    ("FW-MANTO-01", "مانتو کتان", "fashion-women", 2_450_000),
    ("FW-MANTO-02", "مانتو مجلسی", "fashion-women", 4_200_000),
    ("FW-SCARF-01", "شال نخی", "fashion-women", 380_000),
    ("FW-JEAN-01", "شلوار جین زنانه", "fashion-women", 1_350_000),
    ("FM-SHIRT-01", "پیراهن مردانه", "fashion-men", 1_100_000),
    ("FM-JEAN-01", "شلوار جین مردانه", "fashion-men", 1_450_000),
    ("FM-TSHIRT-01", "تی‌شرت", "fashion-men", 520_000),
    ("FM-JACKET-01", "کاپشن", "fashion-men", 3_900_000),
    ("SH-SNEAKER-01", "کفش ورزشی", "shoes", 2_800_000),
    ("SH-BOOT-01", "بوت چرم", "shoes", 4_600_000),
    ("SH-SANDAL-01", "صندل", "shoes", 950_000),
    ("MU-LIP-01", "رژ لب", "makeup", 340_000),
    ("MU-MASC-01", "ریمل", "makeup", 410_000),
    ("MU-FOUND-01", "کرم پودر", "makeup", 690_000),
    ("SK-CREAM-01", "کرم مرطوب‌کننده", "skincare", 480_000),
    ("SK-SUN-01", "ضدآفتاب", "skincare", 560_000),
    ("SK-SERUM-01", "سرم ویتامین C", "skincare", 890_000),
    ("PF-EDP-01", "ادو پرفیوم زنانه", "perfume", 3_200_000),
    ("PF-EDP-02", "ادو پرفیوم مردانه", "perfume", 2_900_000),
    ("PF-MIST-01", "بادی اسپلش", "perfume", 620_000),
    ("CF-ESP-01", "اسپرسو", "coffee", 85_000),
    ("CF-LAT-01", "لاته", "coffee", 120_000),
    ("CF-CAP-01", "کاپوچینو", "coffee", 115_000),
    ("CF-AMR-01", "آمریکانو", "coffee", 95_000),
    ("CK-CHOC-01", "کیک شکلاتی", "cake", 150_000),
    ("CK-CHEE-01", "چیزکیک", "cake", 175_000),
    ("CK-CROI-01", "کروسان", "cake", 90_000),
    ("CD-LEMON-01", "لیموناد", "cold-drinks", 110_000),
    ("CD-ICED-01", "آیس لاته", "cold-drinks", 135_000),
    ("CD-SMOO-01", "اسموتی", "cold-drinks", 160_000),
];

/// (code, name, city)
pub const BRANCHES: [(&str, &str, &str); 4] = [
    ("vanak", "شعبه ونک", "تهران"),
    ("tajrish", "شعبه تجریش", "تهران"),
    ("isfahan", "شعبه چهارباغ", "اصفهان"),
    ("shiraz", "شعبه قصرالدشت", "شیراز"),
];

#[derive(Debug, Clone, Copy)]
pub struct DemoSpec {
    pub customers: u64,
    pub invoices: u64,
    pub seed: u64,
    /// The last day of the data; it spans the two years before it.
    pub end: Date,
}

/// Precomputed distributions; invoices are then generated by index, so any slice of a huge demo
/// can be made without holding the rest.
pub struct Demo {
    spec: DemoSpec,
    span_days: i64,
    start: Date,
    /// Cumulative purchase weight of customers 0..=i (heavy-tailed).
    cumulative: Vec<f64>,
    /// First and last active day of each customer (days from `start`).
    window: Vec<(u16, u16)>,
    /// Relative sales on each day of the span (season and weekday).
    season: Vec<f32>,
}

fn day_weight(d: Date) -> f32 {
    let (_, jm, jd) = gregorian_to_jalali(d);
    let mut w = 1.0;
    // The weeks before Nowruz (from 15 Esfand) and its first days.
    if (jm == 12 && jd >= 15) || (jm == 1 && jd <= 4) {
        w += 2.5;
    }
    // Yalda: the last week of Azar.
    if jm == 9 && jd >= 24 {
        w += 1.5;
    }
    // Black Friday week, marked by Iranian shops in late November.
    if d.month() == 11 && d.day() >= 22 {
        w += 1.2;
    }
    // Thursday and Friday are the weekend.
    if matches!(d.weekday(), jiff::civil::Weekday::Thursday | jiff::civil::Weekday::Friday) {
        w += 0.35;
    }
    w
}

impl Demo {
    pub fn new(spec: DemoSpec) -> Self {
        let span_days = 730;
        let start = spec.end.checked_sub(jiff::Span::new().days(span_days - 1)).expect("valid span");
        let mut rng = DemoRng::new(spec.seed);
        let n = spec.customers.max(1) as usize;
        let mut cumulative = Vec::with_capacity(n);
        let mut window = Vec::with_capacity(n);
        let mut total = 0.0;
        for _ in 0..n {
            // Pareto(α = 1.3) weights, capped so one customer cannot take the whole business.
            let w = (1.0 - rng.unit()).powf(-1.0 / 1.3).min(400.0);
            total += w;
            cumulative.push(total);
            // More customers join later (the business grows); a third stop buying after a while.
            let first = ((span_days as f64) * rng.unit().sqrt()) as i64;
            let first = first.min(span_days - 1);
            let last = if rng.unit() < 0.35 {
                (first as f64 + 30.0 - 150.0 * (1.0 - rng.unit()).ln()).min((span_days - 1) as f64) as i64
            } else {
                span_days - 1
            };
            window.push((first as u16, last as u16));
        }
        let season =
            (0..span_days).map(|i| day_weight(start.checked_add(jiff::Span::new().days(i)).expect("valid day"))).collect();
        Demo { spec, span_days, start, cumulative, window, season }
    }

    pub fn spec(&self) -> DemoSpec {
        self.spec
    }

    pub fn categories(&self) -> Vec<(String, CategoryInput)> {
        CATEGORIES
            .iter()
            .map(|(code, name, parent)| {
                (code.to_string(), CategoryInput { name: name.to_string(), parent: parent.map(Into::into) })
            })
            .collect()
    }

    pub fn products(&self) -> Vec<(String, ProductInput)> {
        PRODUCTS
            .iter()
            .map(|(sku, name, cat, price)| {
                (
                    sku.to_string(),
                    ProductInput { name: name.to_string(), category: Some(cat.to_string()), price: *price, active: true },
                )
            })
            .collect()
    }

    pub fn branches(&self) -> Vec<(String, BranchInput)> {
        BRANCHES
            .iter()
            .map(|(code, name, city)| {
                (
                    code.to_string(),
                    BranchInput { name: name.to_string(), city: Some(city.to_string()), address: None, active: true },
                )
            })
            .collect()
    }

    /// A unique, valid Iranian mobile for customer `i`.
    pub fn mobile(&self, i: u64) -> String {
        let p = MOBILE_PREFIXES.len() as u64;
        let prefix = MOBILE_PREFIXES[(i % p) as usize];
        // Multiplying by a number coprime to 10^7 permutes the seven digits: no two customers share one.
        let number = ((i / p) * 7_919 + self.spec.seed % 1_000_000) % 10_000_000;
        format!("0{prefix}{number:07}")
    }

    fn person(&self, i: u64) -> (bool, usize, usize, DemoRng) {
        let mut rng = DemoRng::new(self.spec.seed.wrapping_mul(31).wrapping_add(i));
        let female = rng.unit() < 0.58;
        let first = rng.below(20) as usize;
        let last = rng.below(LAST.len() as u64) as usize;
        (female, first, last, rng)
    }

    pub fn customer(&self, i: u64) -> CustomerInput {
        let (female, first, last, mut rng) = self.person(i);
        let (fa_first, en_first) = if female { FEMALE[first] } else { MALE[first] };
        let (fa_last, en_last) = LAST[last];
        let (province, cities) = rng.weighted(&PLACES);
        let city = rng.pick(cities);
        let age_days = 365 * (18 + rng.below(45) as i64) + rng.below(365) as i64;
        let birth = self.spec.end.checked_sub(jiff::Span::new().days(age_days)).expect("valid birth date");
        let email = (rng.unit() < 0.45).then(|| format!("{en_first}.{en_last}.{i}@example.com"));
        let mut tags = Vec::new();
        if rng.unit() < 0.2 {
            tags.push("instagram".to_string());
        }
        if rng.unit() < 0.1 {
            tags.push("vip".to_string());
        }
        CustomerInput {
            external_ids: Some(vec![ExternalIdInput { source: "demo".into(), id: format!("C{i:07}") }]),
            mobile: Some(self.mobile(i)),
            email,
            first_name: Some(fa_first.to_string()),
            last_name: Some(fa_last.to_string()),
            gender: Some(if female { "female" } else { "male" }.to_string()),
            birth_date: Some(birth.to_string()),
            province: Some(province.to_string()),
            city: Some(city.to_string()),
            tags: Some(tags),
            sms_opt_in: Some(rng.unit() < 0.8),
            email_opt_in: Some(rng.unit() < 0.5),
            ..Default::default()
        }
    }

    fn customer_for(&self, rng: &mut DemoRng) -> usize {
        let total = *self.cumulative.last().expect("at least one customer");
        let x = rng.unit() * total;
        self.cumulative.partition_point(|c| *c <= x).min(self.cumulative.len() - 1)
    }

    /// Invoice `j`: its customer, day, time, lines, channel and branch.
    pub fn invoice(&self, j: u64) -> InvoiceInput {
        let mut rng = DemoRng::new(self.spec.seed.wrapping_mul(1_000_003).wrapping_add(j).wrapping_add(0x51ED));
        let c = self.customer_for(&mut rng);
        let (first, last) = self.window[c];
        // A day in the customer's window, drawn in proportion to the season.
        let mut day = first as i64;
        for _ in 0..16 {
            day = first as i64 + rng.below((last - first) as u64 + 1) as i64;
            if rng.unit() * 4.6 < self.season[day as usize] as f64 {
                break;
            }
        }
        let date = self.start.checked_add(jiff::Span::new().days(day.min(self.span_days - 1))).expect("valid day");
        let hour = *rng.weighted(&[(10, 2), (12, 3), (14, 3), (17, 4), (19, 6), (21, 4)]) + rng.below(2) as i64;
        let minute = rng.below(60);
        let (c_female, _, _, _) = self.person(c as u64);
        let vertical = match (c as u64 * 7 + self.spec.seed) % 10 {
            0..=3 => {
                if c_female {
                    0
                } else {
                    2
                }
            }
            4..=6 => 2,
            _ => 1,
        };
        let products: Vec<&(&str, &str, &str, i64)> = PRODUCTS
            .iter()
            .filter(|p| {
                let v = match p.2 {
                    "fashion-women" | "fashion-men" | "shoes" => 0,
                    "makeup" | "skincare" | "perfume" => 1,
                    _ => 2,
                };
                v == vertical
            })
            .collect();
        let n_lines = 1 + rng.below(if vertical == 2 { 4 } else { 2 });
        let lines = (0..n_lines)
            .map(|_| {
                let (sku, name, cat, price) = **rng.pick(&products);
                let quantity = if vertical == 2 { 1 + rng.below(2) } else { 1 };
                let discount = if rng.unit() < 0.15 { price * quantity as i64 / 10 } else { 0 };
                LineInput {
                    sku: Some(sku.into()),
                    product_name: Some(name.into()),
                    category: Some(cat.into()),
                    quantity: Some(quantity as f64),
                    unit_price: price,
                    discount: Some(discount),
                }
            })
            .collect();
        let in_store = rng.unit() < if vertical == 2 { 0.9 } else { 0.45 };
        let branch = in_store.then(|| BRANCHES[rng.below(BRANCHES.len() as u64) as usize].0.to_string());
        InvoiceInput {
            source: Some("demo".into()),
            external_id: format!("INV-{j:09}"),
            issued_at: format!("{date}T{hour:02}:{minute:02}:00"),
            customer: Some(CustomerRefInput {
                external_id: Some(format!("C{c:07}")),
                mobile: Some(self.mobile(c as u64)),
                ..Default::default()
            }),
            channel: Some(if in_store { "pos" } else { "online" }.into()),
            branch,
            status: None,
            currency: None,
            lines,
            discount: None,
            shipping: (!in_store).then_some(45_000),
            total: None,
            checkout: None,
        }
    }

    /// Whether invoice `j` is later refunded (about 3%), and how much of it (`None`: all of it).
    pub fn refund_of(&self, j: u64) -> Option<Option<f64>> {
        let mut rng = DemoRng::new(self.spec.seed ^ j.wrapping_mul(0x2545_F491_4F6C_DD1D));
        if rng.unit() < 0.03 { Some((rng.unit() < 0.4).then(|| 0.3 + rng.unit() * 0.4)) } else { None }
    }

    /// A few club and site events for some customers.
    pub fn events(&self, i: u64) -> Vec<EventInput> {
        let mut rng = DemoRng::new(self.spec.seed.wrapping_add(i.wrapping_mul(0x9E37)));
        if rng.unit() > 0.3 {
            return Vec::new();
        }
        let (first, last) = self.window[i as usize];
        (0..1 + rng.below(4))
            .map(|k| {
                let day = first as i64 + rng.below((last - first) as u64 + 1) as i64;
                let date = self.start.checked_add(jiff::Span::new().days(day)).expect("valid day");
                let kind =
                    *rng.pick(&["club_login", "page_view", "add_to_cart", "content_shared", "survey_completed", "social_follow"]);
                EventInput {
                    event_id: Some(format!("EV-{i}-{k}")),
                    event_type: kind.into(),
                    occurred_at: Some(format!("{date}T{:02}:{:02}:00", 9 + rng.below(13), rng.below(60))),
                    source: Some("demo".into()),
                    customer: Some(CustomerRefInput { external_id: Some(format!("C{i:07}")), ..Default::default() }),
                    properties: None,
                }
            })
            .collect()
    }
}

impl Demo {
    /// Writes the demo customers as a customers CSV, in the columns `philia export` writes.
    pub fn write_customers_csv<W: std::io::Write>(&self, out: W, on_progress: &mut dyn FnMut(u64)) -> Result<(), csv::Error> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(crate::export::CUSTOMER_HEADER)?;
        for i in 0..self.spec.customers {
            let c = self.customer(i);
            let ext = c.external_ids.and_then(|e| e.into_iter().next());
            w.write_record(crate::export::customer_row(
                ext.as_ref().map(|e| (e.id.as_str(), e.source.as_str())),
                [
                    c.mobile,
                    c.email,
                    c.first_name,
                    c.last_name,
                    c.gender,
                    c.birth_date,
                    c.province,
                    c.city,
                    c.address_line,
                    c.postal_code,
                ],
                (&c.tags.unwrap_or_default(), &c.interests.unwrap_or_default()),
                (c.sms_opt_in, c.email_opt_in),
            ))?;
            if i % 10_000 == 0 {
                on_progress(i);
            }
        }
        w.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use philia_domain::mobile::Mobile;
    use std::collections::HashSet;

    fn demo(seed: u64) -> Demo {
        Demo::new(DemoSpec { customers: 5_000, invoices: 20_000, seed, end: jiff::civil::date(2026, 3, 1) })
    }

    #[test]
    fn same_seed_same_data() {
        let (a, b) = (demo(7), demo(7));
        assert_eq!(serde_json::to_string(&a.invoice(123)).unwrap(), serde_json::to_string(&b.invoice(123)).unwrap());
        assert_eq!(serde_json::to_string(&a.customer(9)).unwrap(), serde_json::to_string(&b.customer(9)).unwrap());
        assert_ne!(serde_json::to_string(&a.invoice(123)).unwrap(), serde_json::to_string(&demo(8).invoice(123)).unwrap());
    }

    #[test]
    fn mobiles_are_valid_and_unique() {
        let d = demo(1);
        let mobiles: HashSet<String> = (0..5_000).map(|i| Mobile::parse(&d.mobile(i)).unwrap().as_str().to_string()).collect();
        assert_eq!(mobiles.len(), 5_000);
    }

    #[test]
    fn spend_is_heavy_tailed_and_seasonal() {
        let d = demo(3);
        let mut per_customer = vec![0u32; 5_000];
        let mut nowruz = 0;
        let mut ordinary = 0;
        for j in 0..20_000 {
            let inv = d.invoice(j);
            let c: usize = inv.customer.unwrap().external_id.unwrap()[1..].parse().unwrap();
            per_customer[c] += 1;
            let date: Date = inv.issued_at[..10].parse().unwrap();
            // Both windows are eleven days of the Jalali year 1403.
            let (y, m, day) = gregorian_to_jalali(date);
            if y == 1403 && m == 12 && (15..=25).contains(&day) {
                nowruz += 1;
            }
            if y == 1403 && m == 8 && (1..=11).contains(&day) {
                ordinary += 1;
            }
        }
        per_customer.sort_unstable_by(|a, b| b.cmp(a));
        let top_tenth: u32 = per_customer[..500].iter().sum();
        assert!(top_tenth > 20_000 / 4, "the top 10% of customers make over a quarter of invoices ({top_tenth})");
        assert!(nowruz > ordinary * 3 / 2, "the days before Nowruz sell more than ordinary days ({nowruz} vs {ordinary})");
    }
}
