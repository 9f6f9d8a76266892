//! The till's message catalogue, in Persian and English.

crate::catalogue! {
    /// One text of the till.
    P;
    Till => "صندوق فروش", "Till";
    SignIn => "ورود به صندوق", "Sign in to the till";
    Email => "ایمیل", "Email";
    Password => "گذرواژه", "Password";
    Brand => "برند", "Brand";
    Enter => "ورود", "Sign in";
    Branch => "شعبه", "Branch";
    ChooseBranch => "شعبه‌ای را که در آن می‌فروشید انتخاب کنید", "Choose the branch you sell at";
    NoBranches => "هنوز شعبه‌ای تعریف نشده است", "No branches are set up yet";
    Start => "شروع", "Start";
    NotACashier => "این حساب اجازه فروش در صندوق ندارد", "This account may not sell at the till";
    SignOut => "خروج", "Sign out";
    Cashier => "صندوق‌دار", "Cashier";
    Search => "نام کالا، کد یا بارکد", "Product name, SKU or barcode";
    Cart => "سبد", "Cart";
    EmptyCart => "سبد خالی است", "The cart is empty";
    Product => "کالا", "Product";
    Quantity => "تعداد", "Qty";
    Price => "قیمت", "Price";
    Stock => "موجودی", "Stock";
    Remove => "حذف", "Remove";
    Customer => "مشتری", "Customer";
    Mobile => "موبایل مشتری", "Customer's mobile";
    Find => "یافتن", "Find";
    NewCustomer => "مشتری جدید", "New customer";
    Name => "نام", "Name";
    Add => "افزودن", "Add";
    NotFound => "پیدا نشد", "Not found";
    Walkin => "بدون مشتری", "Walk-in";
    Points => "امتیاز", "Points";
    Wallet => "کیف پول", "Wallet";
    Tier => "سطح", "Tier";
    Codes => "کدهای مشتری", "Customer's codes";
    Discount => "تخفیف فوری", "Instant discount";
    Percent => "درصد", "Percent";
    Amount => "مبلغ", "Amount";
    Code => "کد تخفیف", "Discount code";
    PayPoints => "پرداخت با امتیاز", "Pay with points";
    PayWallet => "پرداخت از کیف پول", "Pay from wallet";
    Override => "فروش بیش از موجودی (تأیید مدیر)", "Sell beyond stock (manager)";
    Quote => "محاسبه", "Calculate";
    Subtotal => "جمع", "Subtotal";
    Discounts => "تخفیف‌ها", "Discounts";
    LoyaltyPaid => "پرداخت با امتیاز و کیف پول", "Paid with points and wallet";
    ToPay => "قابل پرداخت", "To pay";
    Earns => "امتیاز این خرید", "This sale earns";
    Checkout => "ثبت فروش", "Check out";
    Offline => "ارتباط با سرور قطع است؛ سبد حفظ شده است و با برگشتن ارتباط ادامه می‌دهید.", "The connection to the server is lost; the cart is kept and you can go on when it is back.";
    Receipt => "رسید", "Receipt";
    ReceiptNo => "شماره رسید", "Receipt no.";
    Date => "تاریخ", "Date";
    Total => "مبلغ کل", "Total";
    Refunded => "برگشتی", "Refunded";
    PointsEarned => "امتیاز کسب‌شده", "Points earned";
    PaidWithPoints => "پرداخت با امتیاز", "Paid with points";
    PaidFromWallet => "پرداخت از کیف پول", "Paid from the wallet";
    PaidInMoney => "پرداخت نقدی / کارت", "Paid in cash or by card";
    Print => "چاپ", "Print";
    NewSale => "فروش جدید", "New sale";
    Return => "مرجوع", "Return";
    Returned => "مرجوع شد", "Returned";
    FindReceipt => "بارکد رسید را اسکن کنید", "Scan a receipt's barcode";
    Thanks => "از خرید شما سپاسگزاریم", "Thank you for shopping with us";
    SoldBy => "فروشنده", "Sold by";
    Language => "زبان", "Language";
    Persian => "فارسی", "فارسی";
    English => "English", "English";
    FormExpired => "فرم منقضی شده بود؛ دوباره تلاش کنید", "The form had expired; please try again";
    SomethingWrong => "مشکلی پیش آمد", "Something went wrong";
}

#[cfg(test)]
mod tests {
    use super::*;
    use philia_domain::staff_auth::Lang;

    #[test]
    fn every_text_exists_in_both_languages() {
        for key in P::ALL {
            assert!(!key.get(Lang::Fa).is_empty() && !key.get(Lang::En).is_empty(), "{key:?}");
        }
    }
}
