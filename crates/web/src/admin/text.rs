//! The panel's message catalogue: every word a page shows, in Persian and English. A key without
//! both languages does not compile.

use philia_domain::staff_auth::Lang;

macro_rules! catalogue {
    ($($key:ident => $fa:literal, $en:literal;)*) => {
        /// One text of the panel.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum T { $($key),* }

        impl T {
            pub const ALL: &'static [T] = &[$(T::$key),*];

            pub fn get(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((T::$key, Lang::Fa) => $fa, (T::$key, Lang::En) => $en,)*
                }
            }
        }
    };
}

catalogue! {
    Product => "فیلیا", "Philia";
    AdminPanel => "پنل مدیریت", "Admin panel";
    SignIn => "ورود", "Sign in";
    SignInTitle => "ورود کارکنان", "Staff sign-in";
    SignOut => "خروج", "Sign out";
    Email => "ایمیل", "Email";
    Password => "گذرواژه", "Password";
    Brand => "برند", "Brand";
    ChooseBrand => "این ایمیل در چند برند حساب دارد؛ یکی را انتخاب کنید", "This email has accounts at several brands; choose one";
    FormExpired => "فرم منقضی شده بود؛ دوباره تلاش کنید", "The form had expired; please try again";
    Language => "زبان", "Language";
    Persian => "فارسی", "فارسی";
    English => "English", "English";
    Menu => "منو", "Menu";
    Dashboard => "داشبورد", "Dashboard";
    Customers => "مشتریان", "Customers";
    Inbox => "اعلان‌ها", "Notifications";
    Search => "جستجو", "Search";
    SearchHint => "موبایل، ایمیل، نام یا شناسه", "Mobile, email, name or id";
    AllTiers => "همه سطح‌ها", "All tiers";
    AllSegments => "همه بخش‌ها", "All segments";
    Tag => "برچسب", "Tag";
    NoResults => "چیزی پیدا نشد", "Nothing found";
    NextPage => "صفحه بعد", "Next page";
    FirstPage => "صفحه اول", "First page";
    Save => "ذخیره", "Save";
    Add => "افزودن", "Add";
    Apply => "اعمال", "Apply";
    Period => "بازه", "Period";
    Last7 => "۷ روز اخیر", "Last 7 days";
    Last10 => "۱۰ روز اخیر", "Last 10 days";
    Last14 => "۱۴ روز اخیر", "Last 14 days";
    Last30 => "۳۰ روز اخیر", "Last 30 days";
    ThisMonth => "این ماه", "This month";
    ThisYear => "امسال", "This year";
    CustomRange => "بازه دلخواه", "Custom range";
    From => "از", "From";
    To => "تا", "To";
    DateHint => "مثل ۱۴۰۳/۰۱/۱۵ یا 2024-04-03", "e.g. 1403/01/15 or 2024-04-03";
    Sales => "فروش", "Sales";
    NetSales => "فروش خالص", "Net sales";
    Invoices => "فاکتورها", "Invoices";
    AverageClv => "میانگین ارزش طول عمر مشتری", "Average customer lifetime value";
    CustomersGrowth => "رشد مشتریان", "Customer growth";
    NewCustomers => "مشتریان جدید", "New customers";
    TotalCustomers => "کل مشتریان", "All customers";
    Retention => "نرخ نگهداشت", "Retention";
    Churn => "نرخ ریزش", "Churn";
    TimeBetweenPurchases => "فاصله بین خریدها", "Time between purchases";
    MedianDays => "میانه (روز)", "Median (days)";
    MeanDays => "میانگین (روز)", "Mean (days)";
    DaysRange => "روز", "days";
    Engagement => "تعامل", "Engagement";
    Events => "رویدادها", "Events";
    ActiveEngagers => "مشتریان فعال در تعامل", "Engaged customers";
    MissionParticipants => "شرکت‌کنندگان مأموریت‌ها", "Mission participants";
    GameParticipants => "بازیکنان بازی‌ها", "Game players";
    RewardsClaimed => "جایزه‌های گرفته‌شده", "Rewards claimed";
    RfmDistribution => "توزیع RFM", "RFM distribution";
    PointsByType => "امتیاز به تفکیک نوع", "Points by type";
    CustomersPerTier => "مشتریان در هر سطح", "Customers per tier";
    TopCustomers => "مشتریان برتر", "Top customers";
    NoTier => "بدون سطح", "No tier";
    NoData => "هنوز داده‌ای نیست", "No data yet";
    Name => "نام", "Name";
    Mobile => "موبایل", "Mobile";
    Tier => "سطح", "Tier";
    LoyaltyClass => "کلاس وفاداری", "Loyalty class";
    RfmSegment => "بخش RFM", "RFM segment";
    NetSpend => "خرید خالص", "Net spend";
    LastPurchase => "آخرین خرید", "Last purchase";
    FirstPurchase => "اولین خرید", "First purchase";
    AverageOrder => "میانگین هر خرید", "Average order";
    Refunds => "مرجوعی‌ها", "Refunds";
    Clv => "ارزش طول عمر", "Lifetime value";
    Profile => "پرونده مشتری", "Customer profile";
    PersonalData => "اطلاعات شخصی", "Personal data";
    Gender => "جنسیت", "Gender";
    BirthDate => "تاریخ تولد", "Birthday";
    City => "شهر", "City";
    Province => "استان", "Province";
    Address => "نشانی", "Address";
    PostalCode => "کد پستی", "Postal code";
    Tags => "برچسب‌ها", "Tags";
    Interests => "علاقه‌ها", "Interests";
    ExternalIds => "شناسه‌های بیرونی", "External ids";
    SmsConsent => "رضایت پیامک", "SMS consent";
    EmailConsent => "رضایت ایمیل", "Email consent";
    OptedIn => "موافق", "Opted in";
    OptedOut => "مخالف", "Opted out";
    NotAsked => "پرسیده نشده", "Not asked";
    Member => "عضو از", "Member since";
    LastLogin => "آخرین ورود به باشگاه", "Last club sign-in";
    FirstLogin => "اولین ورود به باشگاه", "First club sign-in";
    Points => "امتیاز", "Points";
    PointType => "نوع امتیاز", "Point type";
    Balance => "مانده", "Balance";
    ExpiringSoon => "در حال انقضا", "Expiring soon";
    Debt => "بدهی امتیاز", "Points owed";
    Wallet => "کیف پول", "Wallet";
    Available => "قابل استفاده", "Available";
    Pending => "در انتظار", "Pending";
    Scores => "امتیازهای RFM", "RFM scores";
    Timeline => "فعالیت‌ها", "Activity";
    KindInvoice => "خرید", "Purchase";
    KindRefund => "مرجوعی", "Refund";
    KindEvent => "رویداد", "Event";
    KindNote => "یادداشت", "Note";
    KindMessage => "پیام", "Message";
    Notes => "یادداشت‌ها", "Notes";
    NoteHint => "برای خبر کردن همکار @نام بنویسید", "Write @name to notify a colleague";
    AddNote => "افزودن یادداشت", "Add note";
    Edited => "ویرایش‌شده", "edited";
    Referrals => "معرفی‌ها", "Referrals";
    ReferralCode => "کد معرف", "Referral code";
    ReferredBy => "معرفی‌شده توسط", "Referred by";
    Invited => "معرفی‌کرده", "Invited";
    AdjustPoints => "اصلاح امتیاز", "Adjust points";
    Change => "تغییر (مثبت یا منفی)", "Change (plus or minus)";
    Reason => "دلیل", "Reason";
    Merge => "ادغام پرونده", "Merge profiles";
    MergeHint => "پرونده دیگری را در این پرونده ادغام کنید؛ تاریخچه آن به اینجا منتقل می‌شود", "Merge another profile into this one; its history moves here";
    OtherCustomerId => "شناسه پرونده دیگر", "Other profile's id";
    Status => "وضعیت", "Status";
    MarkRead => "خوانده شد", "Mark read";
    Unread => "خوانده‌نشده", "Unread";
    NothingHere => "چیزی اینجا نیست", "Nothing here";
    Open => "باز کردن", "Open";
    Forbidden => "نقش شما اجازه این کار را نمی‌دهد", "Your role may not do this";
    CashierOnly => "نقش صندوق‌دار فقط با صندوق فروشگاه کار می‌کند، نه با پنل مدیریت", "The cashier role works at the shop's till, not in the admin panel";
    NotFound => "پیدا نشد", "Not found";
    SomethingWrong => "مشکلی پیش آمد؛ دوباره تلاش کنید", "Something went wrong; please try again";
    Saved => "ذخیره شد", "Saved";
    Done => "انجام شد", "Done";
    Back => "بازگشت", "Back";
    Count => "تعداد", "Count";
    Date => "تاریخ", "Date";
    Amount => "مبلغ", "Amount";
    Total => "جمع", "Total";
    Share => "سهم", "Share";
    Role => "نقش", "Role";
    Segments => "بخش‌بندی", "Segments";
    Rfm => "RFM", "RFM";
    NewSegment => "بخش جدید", "New segment";
    Code => "کد", "Code";
    CodeHint => "حروف انگلیسی کوچک، عدد و _ ، مثل gold_coffee", "Lowercase letters, digits and _, e.g. gold_coffee";
    Description => "توضیح", "Description";
    Rule => "شرط‌ها", "Conditions";
    Members => "اعضا", "Members";
    LiveCount => "تعداد مشتریان با این شرط‌ها", "Customers matching now";
    Export => "خروجی", "Export";
    Edit => "ویرایش", "Edit";
    Analysis => "تحلیل", "Analysis";
    PurchaseFrequency => "خرید به ازای هر عضو", "Purchases per member";
    TopCategories => "دسته‌های پرفروش", "Top categories";
    Category => "دسته", "Category";
    AllOf => "همه این شرط‌ها", "All of these";
    AnyOf => "دست‌کم یکی از این‌ها", "Any of these";
    NoneOf => "هیچ‌کدام از این‌ها", "None of these";
    AddCondition => "+ شرط", "+ Condition";
    AddGroup => "+ گروه", "+ Group";
    Remove => "حذف", "Remove";
    OtherField => "فیلد دیگر…", "Other field…";
    FieldName => "نام فیلد", "Field name";
    OpEq => "برابر", "is";
    OpNe => "نابرابر", "is not";
    OpGt => "بیشتر از", "more than";
    OpGte => "دست‌کم", "at least";
    OpLt => "کمتر از", "less than";
    OpLte => "حداکثر", "at most";
    OpBetween => "بین", "between";
    OpIn => "یکی از", "one of";
    OpNotIn => "هیچ‌یک از", "none of";
    OpContains => "شامل", "includes";
    OpStartsWith => "شروع با", "starts with";
    OpExists => "دارد", "is set";
    OpMissing => "ندارد", "is not set";
    OpWithinLastDays => "در این تعداد روز اخیر", "within the last days";
    OpBefore => "پیش از", "before";
    OpAfter => "پس از", "after";
    Yes => "بله", "yes";
    No => "خیر", "no";
    ListHint => "با ویرگول جدا کنید", "separate with commas";
    FieldGender => "جنسیت", "Gender";
    FieldAge => "سن", "Age";
    FieldBirthDate => "تاریخ تولد", "Birthday";
    FieldProvince => "استان", "Province";
    FieldCity => "شهر", "City";
    FieldSpend => "خرید خالص", "Net spend";
    FieldInvoices => "تعداد خرید", "Number of purchases";
    FieldAov => "میانگین هر خرید", "Average order";
    FieldFirstPurchase => "اولین خرید", "First purchase";
    FieldLastPurchase => "آخرین خرید", "Last purchase";
    FieldCategories => "دسته‌های خریده‌شده", "Categories bought";
    FieldTags => "برچسب‌ها", "Tags";
    FieldLists => "فهرست‌ها", "Lists";
    FieldInterests => "علاقه‌ها", "Interests";
    FieldTier => "سطح", "Tier";
    FieldClass => "کلاس وفاداری", "Loyalty class";
    FieldRfm => "بخش RFM", "RFM segment";
    FieldReferrals => "معرفی‌های موفق", "Successful referrals";
    FieldSmsOptIn => "رضایت پیامک", "SMS opt-in";
    FieldEmailOptIn => "رضایت ایمیل", "Email opt-in";
    FieldHasMobile => "موبایل دارد", "Has a mobile";
    FieldHasEmail => "ایمیل دارد", "Has an email";
    FieldCreated => "تاریخ عضویت", "Joined";
    FieldPointsOf => "امتیاز", "Points";
    FieldInvoiceTotal => "مبلغ فاکتور", "Invoice total";
    FieldInvoiceAmount => "مبلغ مشمول امتیاز", "Amount that earns";
    FieldSubtotal => "جمع اقلام", "Subtotal";
    FieldChannel => "کانال فروش", "Sales channel";
    FieldBranch => "شعبه", "Branch";
    FieldSource => "منبع", "Source";
    FieldWeekday => "روز هفته", "Weekday";
    FieldHour => "ساعت", "Hour";
    FieldDay => "تاریخ", "Date";
    FieldInvoiceCategories => "دسته‌های فاکتور", "Categories in the invoice";
    FieldSkus => "کالاهای فاکتور", "Products in the invoice";
    FieldLineCount => "تعداد اقلام", "Number of lines";
    FieldPreviousInvoices => "خریدهای قبلی مشتری", "Customer's earlier purchases";
    Programme => "برنامه وفاداری", "Loyalty programme";
    PointTypes => "انواع امتیاز", "Point types";
    NewPointType => "نوع امتیاز جدید", "New point type";
    Expiry => "انقضا", "Expiry";
    NeverExpires => "بدون انقضا", "Never";
    ExpiresAfterDays => "روز پس از کسب", "days after earning";
    CountsForTiers => "در سطح‌بندی حساب می‌شود", "Counts toward tiers";
    Spendable => "قابل خرج", "Can be spent";
    CashValue => "ارزش هر امتیاز در پرداخت", "Value of a point at checkout";
    Tiers => "سطح‌ها", "Tiers";
    TierMetric => "معیار سطح", "Tier measure";
    MetricSpend => "خرید خالص", "Net spend";
    MetricInvoices => "تعداد خرید", "Number of purchases";
    MetricPoints => "امتیاز کسب‌شده", "Points earned";
    Window => "بازه سنجش", "Measured over";
    WindowLifetime => "همه زمان‌ها", "All time";
    WindowRolling => "ماه‌های اخیر", "Recent months";
    WindowYear => "سال جاری", "This calendar year";
    Months => "ماه", "Months";
    GraceDays => "مهلت پیش از تنزل (روز)", "Grace before moving down (days)";
    Threshold => "آستانه", "Threshold";
    EarnMultiplier => "ضریب امتیاز", "Points multiplier";
    CashbackPercent => "درصد بازگشت وجه", "Cashback %";
    DiscountPercent => "درصد تخفیف", "Discount %";
    TierRowsHint => "ردیف‌های خالی نادیده گرفته می‌شوند؛ سطح اول آستانه ۰ دارد", "Empty rows are ignored; the first tier has threshold 0";
    EarningRules => "قوانین کسب امتیاز", "Earning rules";
    NewRule => "قانون جدید", "New rule";
    Trigger => "رویداد آغازگر", "Earns on";
    TriggerInvoice => "خرید", "Purchase";
    TriggerEvent => "رویداد", "Event";
    EventType => "نوع رویداد", "Event type";
    PointsAwarded => "امتیاز", "Points";
    PerAmount => "به ازای هر (مبلغ)", "Per (amount)";
    PerAmountHint => "خالی: امتیاز ثابت برای هر خرید", "Empty: flat points per purchase";
    MinAmount => "حداقل مبلغ خرید", "Minimum purchase";
    CapPerDay => "سقف روزانه", "Daily cap";
    CapPerCustomer => "سقف برای هر مشتری", "Cap per customer";
    Active => "فعال", "Active";
    Disable => "غیرفعال کردن", "Disable";
    DryRun => "آزمایش روی یک فاکتور", "Try on an invoice";
    DryRunHint => "فاکتور را به همان قالب API بچسبانید", "Paste an invoice in the API's format";
    Try => "آزمایش", "Try";
    WouldEarn => "این فاکتور این امتیازها را می‌گیرد", "This invoice would earn";
    Capped => "کسرشده به خاطر سقف", "Held back by caps";
    NothingEarned => "این فاکتور امتیازی نمی‌گیرد", "This invoice earns nothing";
    Female => "زن", "Female";
    Male => "مرد", "Male";
    OtherGender => "سایر", "Other";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_exists_in_both_languages() {
        for key in T::ALL {
            assert!(!key.get(Lang::Fa).is_empty() && !key.get(Lang::En).is_empty(), "{key:?}");
        }
    }
}
