"""Vocabulary for the generated newsroom: Arabic news words, a little English, names.

Written for the benchmark (no corpus is read). Words carry no diacritics or tatweel, so every
token is one word for ``app.text.reading.count_words`` and slugs made from them are already in
normal form. Function words come first and are drawn more often (see ``dataset.WordPool``), so
sentences have roughly the rhythm of news copy without meaning anything.
"""

from __future__ import annotations


def _split(text: str) -> list[str]:
    # Long word lists read better as text than as a list literal of quoted strings.
    return text.split()


# Prepositions, particles, pronouns, relatives: the most frequent tokens of Arabic prose.
AR_FUNCTION = _split("""
في من إلى على عن مع بعد قبل خلال بين حول ضد عند منذ حتى لدى نحو عبر دون وفي ومن وعلى
أن إن التي الذي الذين هذا هذه ذلك تلك هناك كما لكن أو ثم قد لم لن لا ما كل بعض أي غير
أكثر أقل وقد كان كانت يكون تكون وهو وهي إذ حيث بينما أيضا فقط جميع معظم عدة نحو
""")

AR_VERBS = _split("""
قال قالت أعلن أعلنت أكد أكدت أشار أشارت أوضح أوضحت أضاف أضافت ذكر ذكرت كشف كشفت أفاد أفادت
نقل نقلت يعتزم تعتزم بدأ بدأت يبدأ تبدأ افتتح افتتحت أطلق أطلقت وقع وقعت ناقش ناقشت استقبل
استقبلت زار زارت شهد شهدت سجل سجلت بلغ بلغت ارتفع ارتفعت انخفض انخفضت تراجع تراجعت حقق حققت
فاز فازت خسر خسرت تعادل طالب طالبت دعا دعت رفض رفضت وافق وافقت قرر قررت أصدر أصدرت يشمل تشمل
يهدف تهدف يتضمن تتضمن يستمر تستمر يواجه تواجه يسعى تسعى يمكن يجب ينتظر تنتظر يتوقع تتوقع
أسفر أسفرت استمر استمرت انطلق انطلقت اختتم اختتمت نظم نظمت
""")

AR_NOUNS = _split("""
الحكومة الوزارة الوزير الوزيرة رئيس الرئيس رئيسة البرلمان المجلس اللجنة البلدية المدينة
العاصمة الدولة البلاد المنطقة الإقليم المحافظة القرية الحي الشارع الميناء المطار الجسر الطريق
السوق المدرسة الجامعة المستشفى المكتبة المتحف الملعب الساحة الحديقة المركز المعرض المهرجان
الاقتصاد السياسة الثقافة الرياضة الصحة التعليم البيئة الطاقة المياه الزراعة الصناعة التجارة
السياحة النقل الاتصالات التكنولوجيا العلوم الفنون الأدب المسرح السينما الموسيقى الصحافة
مشروع المشروع خطة الخطة برنامج البرنامج قرار القرار قانون القانون اتفاق الاتفاق اتفاقية
مفاوضات محادثات اجتماع الاجتماع مؤتمر المؤتمر قمة زيارة جولة انتخابات الانتخابات حملة تصويت
نتائج النتائج تقرير التقرير دراسة الدراسة بيان البيان تصريح تصريحات مقابلة مصادر المصادر
الأسعار الأسواق الاستثمار الاستثمارات الميزانية الضرائب الرواتب البطالة التضخم النمو
الصادرات الواردات العملة البنك المصرف الشركة الشركات المصنع المصانع القطاع القطاعات
المواطنين السكان الأهالي الطلاب المعلمين الأطباء المرضى العمال المزارعين الشباب الأطفال
النساء العائلات اللاعبين الفريق المنتخب المدرب الجمهور المشجعين الخبراء المسؤولين الباحثين
الفنانين الكتاب القراء الزوار المسافرين المستثمرين التجار الصيادين
اليوم أمس غدا الأسبوع الشهر العام السنة صباح مساء ليلة ساعات أيام أشهر سنوات الموسم المرحلة
الفترة الجولة المباراة البطولة الدوري الكأس الهدف الأهداف النقاط الشوط
ارتفاع انخفاض زيادة تراجع تحسن استقرار أزمة الأزمة مشكلة المشكلة حل حلول تحديات فرص نجاح
تطور تطوير بناء إنشاء افتتاح إطلاق توقيع تنفيذ إعادة تأهيل توسيع تحديث دعم تمويل إصلاح
حماية تعزيز توفير تقديم تحسين خفض رفع مراجعة متابعة إنجاز استكمال
المطر الأمطار الحرارة الطقس العاصفة الفيضانات الجفاف الغابات البحر الساحل النهر الصحراء
الجبال الوادي الهواء التلوث الطاقة الشمسية الرياح الكهرباء الغاز النفط
الشبكة الإنترنت التطبيق التطبيقات الهاتف البيانات المنصة الذكاء الاصطناعي الأمن الرقمي
الخدمات الخدمة الإدارة المؤسسات المؤسسة المنظمة الجمعية النقابة المحكمة القضاء الشرطة
المستوى المعدل النسبة الحجم العدد القيمة التكلفة المبلغ الحصة الجزء المرحلة الأولوية
الطريقة الوسيلة الهدف الرؤية الاستراتيجية السياسات الإجراءات التدابير الشروط المعايير
الكتاب الرواية المجلة الصحيفة الفيلم الأغنية العرض اللوحة الصورة الصور المكان الزمن
التاريخ التراث الذاكرة الحضارة اللغة العربية الشعر الشاعر القصة الجائزة الجوائز
""")

AR_ADJECTIVES = _split("""
جديد جديدة الجديد الجديدة كبير كبيرة الكبير الكبيرة صغير صغيرة أول أولى الأول الأولى الثاني
الثانية الأخير الأخيرة مهم مهمة واسع واسعة قريب قريبة بعيد عالية منخفضة المحلي المحلية
الدولي الدولية الوطني الوطنية العربي العربية العالمي العالمية الرسمي الرسمية الاقتصادية
السياسية الاجتماعية الثقافية الرياضية الصحية التعليمية البيئية الحالي الحالية الماضي الماضية
المقبل المقبلة القادم القادمة السابق السابقة الكامل الكاملة العام العامة الخاص الخاصة
الرئيسي الرئيسية المشترك المشتركة الأساسي الأساسية المباشر المباشرة السنوي السنوية
""")

# Single words and short phrases for headings, kickers and tag names.
AR_TOPICS = """
الموازنة العامة|أسعار الوقود|النقل العام|الطاقة المتجددة|التعليم العالي|الرعاية الصحية|
سوق العمل|الأمن الغذائي|المياه الجوفية|التغير المناخي|الذكاء الاصطناعي|الاقتصاد الرقمي|
كرة القدم|كرة السلة|ألعاب القوى|السباحة|التنس|الدوري المحلي|كأس العالم|الألعاب الأولمبية|
معرض الكتاب|مهرجان السينما|المسرح الوطني|الموسيقى العربية|الفن التشكيلي|التراث الشعبي|
الانتخابات البلدية|مجلس النواب|الحكومة المحلية|السياسة الخارجية|العلاقات الدولية|حقوق الإنسان|
الإسكان|المواصلات|السياحة الداخلية|الزراعة الحديثة|الصناعة الوطنية|التجارة الخارجية|
البنك المركزي|أسعار الصرف|البورصة|الشركات الناشئة|الاستثمار الأجنبي|الضرائب|
الجامعات|المدارس|البحث العلمي|الفضاء|الاتصالات|الأمن السيبراني|
الطقس|الأمطار|موجة الحر|التلوث|الغابات|الحياة البرية|
الصحة النفسية|اللقاحات|المستشفيات|التغذية|الرياضة المدرسية|الشباب|
المرأة|الطفولة|كبار السن|الهجرة|اللاجئين|العمل التطوعي|
الميناء|المطار|الطرق|السكك الحديدية|الكهرباء|الإنترنت
""".replace("\n", "").split("|")

AR_FIRST_NAMES = _split("""
سلمى ليلى مريم نور هدى رنا دينا سارة هالة لينا ريم جنى فرح يارا رهف آمنة زينب خديجة
أحمد محمد علي عمر يوسف خالد سامي طارق كريم نبيل فادي رامي وليد هشام زياد باسل مازن حسام
""")

AR_FAMILY_NAMES = _split("""
الحداد النجار الخطيب العلي المصري الشامي البغدادي الحلبي السوداني المغربي التونسي الجزائري
الزين القاسم الأيوبي الحسيني العمري الشريف الخوري عبيد منصور سليمان حمدان يعقوب داود عيسى
""")

AR_JOB_TITLES = [
    "مراسلة",
    "مراسل",
    "محررة الشؤون الاقتصادية",
    "محرر الشؤون السياسية",
    "محرر رياضي",
    "كاتبة عمود",
    "مصور صحفي",
    "محررة ثقافية",
    "مراسل ميداني",
    "رئيسة التحرير",
]

EN_WORDS = _split("""
the the the of of of and and and to to in in a a a for on with by from at as that this after
before during over between about against new first last local national city council minister
government parliament committee mayor port bridge road market school university hospital library
museum stadium festival exhibition economy politics culture sport health education environment
energy water farming industry trade tourism transport science technology art film music press
plan project programme decision law agreement talks meeting summit visit election campaign vote
results report study statement interview prices markets investment budget taxes wages jobs
inflation growth exports imports currency bank company companies factory sector residents
students teachers doctors patients workers farmers young children families players team coach
fans experts officials researchers today yesterday tomorrow week month year season round match
league cup goal points rise fall increase decline improvement crisis problem solution challenge
opportunity success development building opening launch signing support funding reform
protection said announced confirmed added reported revealed opened launched signed discussed
visited recorded reached won lost drew called rejected approved decided issued includes aims
expects faces continues began ended organised major important wide recent current previous
next annual public private main joint direct regional international digital
""")

SECTIONS: list[tuple[str, str, str, list[tuple[str, str, str]]]] = [
    # (slug, Arabic name, English name, [(sub slug, Arabic name, English name), ...])
    (
        "politics",
        "سياسة",
        "Politics",
        [("parliament", "البرلمان", "Parliament"), ("elections", "انتخابات", "Elections")],
    ),
    (
        "economy",
        "اقتصاد",
        "Economy",
        [
            ("markets", "أسواق", "Markets"),
            ("energy", "طاقة", "Energy"),
            ("startups", "شركات ناشئة", "Startups"),
        ],
    ),
    (
        "sport",
        "رياضة",
        "Sport",
        [
            ("football", "كرة القدم", "Football"),
            ("basketball", "كرة السلة", "Basketball"),
            ("athletics", "ألعاب القوى", "Athletics"),
        ],
    ),
    (
        "culture",
        "ثقافة",
        "Culture",
        [("books", "كتب", "Books"), ("cinema", "سينما", "Cinema"), ("music", "موسيقى", "Music")],
    ),
    (
        "technology",
        "تكنولوجيا",
        "Technology",
        [("ai", "ذكاء اصطناعي", "AI"), ("telecoms", "اتصالات", "Telecoms")],
    ),
    ("health", "صحة", "Health", [("medicine", "طب", "Medicine"), ("nutrition", "تغذية", "Food")]),
    (
        "local",
        "محليات",
        "Local",
        [("transport", "نقل", "Transport"), ("housing", "إسكان", "Housing")],
    ),
    (
        "world",
        "العالم",
        "World",
        [("arab-world", "العالم العربي", "Arab world"), ("africa", "أفريقيا", "Africa")],
    ),
    ("opinion", "رأي", "Opinion", [("columns", "مقالات", "Columns")]),
    (
        "environment",
        "بيئة",
        "Environment",
        [("climate", "مناخ", "Climate"), ("water", "مياه", "Water")],
    ),
    (
        "education",
        "تعليم",
        "Education",
        [("schools", "مدارس", "Schools"), ("universities", "جامعات", "Universities")],
    ),
    ("lifestyle", "منوعات", "Lifestyle", [("travel", "سفر", "Travel"), ("food", "طعام", "Food")]),
]
