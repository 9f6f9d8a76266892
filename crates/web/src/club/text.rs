//! The club's message catalogue: every word customers read, in Persian and English.

crate::catalogue! {
    /// One text of the customer club.
    C;
    Club => "باشگاه مشتریان", "Customer club";
    SignIn => "ورود به باشگاه", "Sign in to the club";
    SignInLead => "با شماره موبایل وارد شوید؛ اگر عضو نیستید، همین‌جا عضو می‌شوید.", "Sign in with your mobile number; if you are not a member yet, this makes you one.";
    Mobile => "شماره موبایل", "Mobile number";
    SendCode => "دریافت کد", "Send me a code";
    Code => "کد ورود", "Sign-in code";
    CodeSent => "کد شش‌رقمی به این شماره پیامک شد:", "A six-digit code was sent by SMS to:";
    DemoCode => "نسخه نمایشی: این باشگاه پیامک‌رسان ندارد و کد در خروجی سرور نوشته شد.", "Demo: this club has no SMS provider, so the code was written to the server's log.";
    ReferralCode => "کد معرف (اختیاری)", "Referral code (optional)";
    Enter => "ورود", "Sign in";
    OtherNumber => "شماره دیگر", "Another number";
    SendAgain => "ارسال دوباره کد", "Send the code again";
    SignOut => "خروج", "Sign out";
    Home => "خانه", "Home";
    Missions => "ماموریت‌ها", "Missions";
    Games => "بازی‌ها", "Games";
    Rewards => "جایزه‌ها", "Rewards";
    Profile => "حساب من", "My account";
    Hello => "سلام", "Hello";
    Welcome => "به باشگاه خوش آمدید!", "Welcome to the club!";
    Points => "امتیاز", "points";
    Wallet => "کیف پول", "Wallet";
    Available => "قابل استفاده", "Available";
    Pending => "در انتظار", "Pending";
    Tier => "سطح شما", "Your tier";
    NoTier => "هنوز سطحی ندارید", "No tier yet";
    ToNext => "تا سطح", "to reach";
    TopTier => "در بالاترین سطح هستید", "You are at the top tier";
    Spend => "خرید", "of purchases";
    Purchases => "خرید", "purchases";
    Benefits => "مزایای سطح", "Tier benefits";
    EarnBoost => "ضریب امتیاز", "Points multiplier";
    Cashback => "بازگشت نقدی", "Cashback";
    Discount => "تخفیف", "Discount";
    Expiring => "امتیازی که به‌زودی منقضی می‌شود", "Points expiring soon";
    On => "در", "on";
    AllPoints => "امتیازها", "Points";
    Available2 => "در دسترس", "Available";
    InProgress => "در حال انجام", "In progress";
    Completed => "انجام‌شده", "Completed";
    Expired => "منقضی", "Expired";
    Start => "شروع", "Start";
    Step => "مرحله", "Step";
    Of => "از", "of";
    TimeLeft => "زمان باقی‌مانده", "Time left";
    Days => "روز", "days";
    Hours => "ساعت", "hours";
    Reward => "جایزه", "Reward";
    NoMissions => "فعلاً ماموریتی نیست", "No missions right now";
    Started => "ماموریت شروع شد", "Mission started";
    NoGames => "فعلاً بازی‌ای نیست", "No games right now";
    Spin => "بچرخان", "Spin";
    Pull => "اهرم را بکش", "Pull the lever";
    CostPerPlay => "هزینه هر بازی", "Cost of a play";
    Free => "رایگان", "Free";
    SpinsLeft => "چرخش رایگان", "Free spins";
    PlaysLeftToday => "بازی باقی‌مانده امروز", "Plays left today";
    YouWon => "بردید:", "You won:";
    NothingWon => "این بار چیزی نبردید؛ دفعه بعد!", "Nothing this time; next time!";
    Odds => "شانس هر جایزه", "The chance of each prize";
    Fairness => "بازی منصفانه: نتیجه پیش از بازی با این اثر قفل شده است", "Fair play: the outcome was locked before you played by this fingerprint";
    PlayAgain => "دوباره بازی کن", "Play again";
    Store => "فروشگاه جایزه", "Rewards store";
    CanAfford => "می‌توانید بگیرید", "You can get it";
    NeedMore => "امتیاز بیشتری لازم است", "You need more points";
    Get => "دریافت", "Get it";
    ConfirmRedeem => "این جایزه را دریافت می‌کنید؟", "Get this reward?";
    ItCosts => "هزینه", "It costs";
    Confirm => "بله، دریافت می‌کنم", "Yes, get it";
    Cancel => "انصراف", "Cancel";
    MyRewards => "جایزه‌های من", "My rewards";
    NoRewards => "هنوز جایزه‌ای نگرفته‌اید", "No rewards yet";
    YourCode => "کد شما", "Your code";
    Copy => "کپی", "Copy";
    Copied => "کپی شد", "Copied";
    StockOut => "تمام شد", "Out of stock";
    Requested => "ثبت شد", "Requested";
    Approved => "تأیید شد", "Approved";
    Shipped => "ارسال شد", "Shipped";
    Delivered => "تحویل شد", "Delivered";
    Cancelled => "لغو شد", "Cancelled";
    Fulfilled => "دریافت شد", "Received";
    Withdrawn => "با بازگشت خرید پس گرفته شد", "Taken back with a returned purchase";
    RedeemedNow => "جایزه دریافت شد", "Reward received";
    FirstName => "نام", "First name";
    LastName => "نام خانوادگی", "Last name";
    Email => "ایمیل", "Email";
    Birthday => "تاریخ تولد", "Birthday";
    BirthdayHint => "مثلاً ۱۳۷۰/۰۵/۱۲", "e.g. 1991-08-03";
    City => "شهر", "City";
    Interests => "علاقه‌مندی‌ها", "Interests";
    InterestsHint => "با ویرگول جدا کنید", "separate with commas";
    SmsOptIn => "پیامک پیشنهادها و تخفیف‌ها را می‌خواهم", "Send me offers by SMS";
    EmailOptIn => "ایمیل پیشنهادها و تخفیف‌ها را می‌خواهم", "Send me offers by email";
    Save => "ذخیره", "Save";
    Saved => "ذخیره شد", "Saved";
    Invite => "دوستانتان را دعوت کنید", "Invite your friends";
    YourReferralCode => "کد معرف شما", "Your referral code";
    Share => "اشتراک‌گذاری", "Share";
    Invited => "دعوت‌شده‌ها", "Friends invited";
    History => "سوابق", "History";
    PurchaseHistory => "خریدها", "Purchases";
    PointsHistory => "امتیازها", "Points";
    NoHistory => "هنوز چیزی نیست", "Nothing yet";
    Refunded => "مرجوع", "refunded";
    Language => "زبان", "Language";
    Persian => "فارسی", "فارسی";
    English => "English", "English";
    SomethingWrong => "مشکلی پیش آمد", "Something went wrong";
    NotFound => "پیدا نشد", "Not found";
    WidgetSignInAgain => "برای دیدن باشگاه دوباره در فروشگاه وارد شوید", "Sign in to the shop again to see the club";
    OpenClub => "باز کردن باشگاه", "Open the club";
    FormExpired => "فرم منقضی شده بود؛ دوباره تلاش کنید", "The form had expired; please try again";
    Back => "بازگشت", "Back";
    Earn => "کسب", "earned";
    SpendPoints => "خرج", "spent";
    ExpireKind => "انقضا", "expired";
    AdjustKind => "اصلاح", "adjusted";
    ReverseKind => "برگشت", "reversed";
    TransferKind => "تبادل با شبکه", "exchanged with a network";
    Networks => "امتیاز مشترک", "Shared points";
    NoNetworks => "این باشگاه عضو شبکه‌ای نیست", "This club is not part of a network";
    Partners => "برندهای همراه", "Partner brands";
    JoinLead => "با پیوستن، شماره موبایل شما نزد برندهای همراه این شبکه شناخته می‌شود تا امتیازتان را در همه آن‌ها خرج کنید و پیشنهادهایشان را بگیرید.", "When you join, the network's partner brands know you by your mobile number, so you can spend your points at any of them and get their offers.";
    JoinNetwork => "پیوستن به", "Join";
    LeaveNetwork => "لغو عضویت در شبکه", "Leave the network";
    RateHere => "نرخ این فروشگاه (امتیاز فروشگاه:امتیاز شبکه)", "This brand's rate (brand points:network points)";
    WorthHere => "ارزش موجودی شما در این فروشگاه:", "Your balance is worth here:";
    MoveToNetwork => "تبدیل امتیاز این فروشگاه به امتیاز شبکه", "Turn this brand's points into network points";
    MoveHere => "تبدیل امتیاز شبکه به امتیاز این فروشگاه", "Turn network points into this brand's points";
    Move => "تبدیل", "Exchange";
    Exchanged => "تبدیل انجام شد", "Exchanged";
    WholeNumber => "تعداد امتیاز باید عدد صحیح باشد", "The points must be a whole number";
    PartnerOffers => "پیشنهاد برندهای همراه", "Offers from partner brands";
    GetCode => "دریافت کد", "Get the code";
}

#[cfg(test)]
mod tests {
    use super::*;
    use philia_domain::staff_auth::Lang;

    #[test]
    fn every_text_exists_in_both_languages() {
        for key in C::ALL {
            assert!(!key.get(Lang::Fa).is_empty() && !key.get(Lang::En).is_empty(), "{key:?}");
        }
    }
}
