"""Words visitors use for what the FAQ says otherwise: a per-language synonym table.

Stemming joins the forms of one word and the fuzzy match absorbs typos, but neither
knows that "позвонить" is about the phone number, "busted" about a repair or "кредит"
about instalments. A visitor's word that the FAQ never uses weighs as unknown, and a
question mostly made of unknown words gets no answer (``faq.MAX_UNKNOWN_SHARE``).

So a small table of *groups*: words of one group stand in for each other. A question
word in a group (after folding and stemming, typos tolerated like any term) also
matches every FAQ term that another word of its group matches, at
``SYNONYM_SIMILARITY`` of an exact match: a synonym is evidence, not the admin's word.

The built-in groups below are generic shop vocabulary, not any one FAQ's wording.
Admins extend them per language in the FAQ files (``faq_files``)::

    locale: ru
    synonyms:
      - самовывоз, забрать сам, заберу
      - телевизор, телек, тв

A group lists single words; a multi-word item contributes each of its content words.
Keep groups narrow: a word that stands in for many topics ("заказ") only blurs them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from chatserver.core import text

SYNONYM_SIMILARITY = 0.8  # about a typo: counts, but less than the admin's own word
KEY_MATCH = 0.85  # a question word names a group's word at this similarity or more

# One string per group, words separated by commas (multi-word items are split).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "ru": (
        "позвонить, звонить, звонок, телефон, горячая линия",
        "связаться, контакты, написать, имейл, емейл, email",
        "суббота, воскресенье, выходные, праздники, праздничные, выходной, уикенд, викенд, "
        "новогодние, майские",
        "открываетесь, закрываетесь, открыт, работаете, график",
        "рассрочка, частями, кредит, долями, беспроцентная, сплит",
        "оплатить, заплатить, расплатиться, платить, оплата, проплатить, проплата, уплатить, "
        "оплатос",
        "сломался, перестал, поломка, неисправность, ремонт, починить, отремонтировать",
        "удалить, стереть, удалите, удаление, деактивировать, деактивация, уничтожить",
        "войти, зайти, вход, авторизоваться, логин, пускает, залогиниться, логиниться, войду",
        "доставка, привезти, довезти, доставить, возите, отправить, отправляете, привозите, "
        "довозите, везете, везти, привоз, шлете, слать, пошлете, высылаете, выслать",
        "цена, стоимость, стоит, платная, доплачивать, ценник, прайс, тариф, расценки, обойдется",
        "изменить, поменять, заменить, исправить, отредактировать, редактировать, поправить, "
        "подправить, скорректировать, корректировать, переоформить, добавить, докинуть",
        "добавить, докинуть, доложить, докупить, дозакинуть, довложить",
        "отменить, отмена, отказаться, аннулировать, аннуляция, отказываюсь",
        "юрлицо, юридическое, ип, организация, компания, безнал, ооо, фирма, ндс, упд, юрик, "
        "предприятие, контора, корпоративный",
        "поступление, поставка, появится, завезут, завоз, пополнение, поступит",
        "промокод, купон, промик, промо, промка, купончик, код",
        "отказ, отклонен, отклоняет, ошибка, недействителен, проходит",
        "вернуть, сдать, возврат, обратно, отдать",
        "посылка, отправление",
        "сроки, время, долго, ждать",
        "принимаете, оплатить",
        "вводить, ввести, ввожу, применить, использовать",
        "данные, информация, персональные",
        "регионы, регион, города, город, страны, страна, граница, область, село",
        "забрать, заберу, самовывоз, самовынос, заеду, подъеду, заскочу, забегу",
        "платеж, оплата",
        "бесплатно, бесплатная, бесплатный, даром, халява, халявная, безвозмездно",
        "аккаунт, профиль, учетка, учетную, кабинет, лк, акк",
        # --- more shop vocabulary ---
        # a parcel arriving
        "придет, дойдет, дошла, дошел, доходит, прибудет, прилетит",
        # a parcel on its way
        "идет, шла, шел, едет, ехала, везут, ползет, тащится",
        # tracking a parcel
        "отследить, отслеживание, отслеживать, трек, трекинг, трекномер, ттн, трекать, трекнуть",
        # a lost parcel
        "потерялась, потерялся, потеряли, затерялась, пропала, пропал, пропажа, утеряна, потеря",
        # a late parcel
        "задержка, задерживается, задержали, опаздывает, опоздание, опоздал, запаздывает, затянули",
        # dispatch, ship out
        "отправка, отгрузка, отгрузить, отгрузите, выслать, вышлете, высылаете, отослать",
        # courier
        "курьер, курьерка, курьерская, курьерской",
        # urgent, fast delivery
        "срочно, срочная, экспресс, ускорить, ускоренная, побыстрее, быстрее",
        # bulky goods
        "крупногабаритный, крупногабарит, негабарит, габаритный, громоздкий",
        # lifting to the floor
        "подъем, этаж, лифт",
        # abroad, international
        "граница, рубеж, зарубежье, заграница, международная, международный, забугор, иностранный",
        # village, remote settlement
        "село, деревня, поселок, пгт, глубинка, хутор, район",
        # customs
        "таможня, пошлина, растаможка, таможенный, растаможивание",
        # extra fee
        "комиссия, наценка, надбавка",
        # minimum order
        "минималка, минимальный, минимальная, минимум, порог",
        # pickup points and lockers
        "пвз, почтомат, самовывоз",
        # a physical store
        "офлайн, шоурум, салон, розница, розничный",
        # where the shop is
        "находитесь, находится, расположены, располагаетесь, местоположение, локация",
        # days (irregular forms)
        "день, дня, дней, сутки, суток",
        # merge orders
        "объединить, объединение, совместить, склеить",
        # colour
        "цвет, расцветка, окраска, оттенок, цветовой",
        # quantity
        "количество, колво, штук, штуки, шт, штучки",
        # recipient's name
        "фио, имя, фамилия, инициалы, отчество",
        # cash
        "наличные, наличными, нал, налом, кэш, кеш",
        # bank card
        "карта, карточка, дебетовка, дебетовая, банковская",
        # cash on delivery
        "наложенный, наложенным, наложка, наложкой, постоплата",
        # bank transfer
        "перевод, переводом, перевести, перекинуть, перекину, перечислить, перечисление",
        # QR / fast payment system
        "сбп, qr, кьюар, куар, кюар",
        # contactless
        "бесконтакт, бесконтактная, бесконтактно, nfc",
        # money (slang)
        "деньги, бабки, бабло, денежки, деньжата, средства, лавэ",
        # declined
        "отклонен, отклонили, отклоняется, отбивает, отбило, отбивается",
        # an error
        "ошибка, ошибочка, сбой, эррор",
        # money debited or held
        "списали, списались, сняли, снялись, холд, захолдили, заморозили",
        # charged twice
        "дважды, двойное, двойная, задвоилось, задвоился, задвоение, продублировалось, дубль",
        # credit approval
        "одобрение, одобрили, одобрят, скоринг",
        # discount, sale
        "скидка, скидочка, скидон, скидос, дисконт, акция, акции, распродажа, сейл",
        # bonus points, cashback
        "бонусы, баллы, бонусный, кэшбек, кешбек, кэшбэк, лояльность, накопительная",
        # expired
        "истек, истекает, просрочен, просроченный, просрочился",
        # did not fit (irregular forms)
        "подошел, подошла, подошло, подходит",
        # defect
        "брак, бракованный, бракованная, бракованное, дефект, дефектный, заводской",
        # damaged
        "поврежден, повреждение, повредили, разбит, разбитый, разбили, треснул, трещина, "
        "помятый, помяли, вмятина",
        # scratches
        "царапина, царапины, поцарапан, поцарапанный, скол, сколы",
        # wrong item sent
        "перепутали, спутали, перепутан, перепутанный",
        # item missing from the parcel
        "недовложение, некомплект, недокомплект, недостача, недоложили, недоложено",
        # opened, unpacked
        "вскрыт, вскрыли, вскрытый, распакован, распаковал, распакованный, распечатал",
        # packaging
        "упаковка, коробка, коробочка, тара, пломба",
        # tags and labels
        "бирка, бирки, ярлык, этикетка, ярлычок",
        # complaint
        "жалоба, пожаловаться, претензия, рекламация",
        # refund, reimbursement
        "рефанд, рефаунд, возмещение, возместить, компенсация, компенсировать",
        # warranty card
        "талон, гарантийка, гарантийник",
        # manufacturer
        "производитель, изготовитель, вендор",
        # genuine or fake
        "оригинал, оригинальный, подделка, паль, палево, паленый, реплика, фейк",
        # broken, dead device
        "сломался, сломалась, сдох, сдохла, умер, умерла, помер, накрылся, накрылась, "
        "гикнулся, крякнул, запускается",
        # glitching device
        "неисправность, глючит, глюк, глюки, тупит, лагает, зависает, виснет, тормозит",
        # service centre
        "сервисный, сервисник, сц, мастерская, ремонт",
        # diagnostics
        "диагностика, экспертиза, диагностировать",
        # forgot
        "забыл, забыла, забыли, помню, запамятовал, вспомнить",
        # password
        "пароль, пасс, пассворд, password",
        # reset, recover
        "восстановить, восстановление, сбросить, сброс, ресет",
        # blocked, banned
        "заблокировали, заблокирован, блокировка, заблочили, заблочен, забанили, бан",
        # sign up
        "регистрация, зарегистрироваться, зарегаться, зарегиться, регнуться, регаться, рега",
        # sms
        "смс, sms, смска, смсочка, эсэмэс",
        # unsubscribe
        "отписаться, отписка, отпишите, отписать",
        # mailings, spam
        "рассылка, рассылки, спам, спамите, спамить",
        # personal data, privacy
        "персональные, персданные, конфиденциальность, приватность",
        # calling
        "позвонить, перезвонить, перезвоните, созвониться, дозвониться, звякнуть, звонок, "
        "прозвонить",
        # call centre
        "коллцентр, хотлайн, горячая",
        # a person to talk to
        "оператор, менеджер, консультант, специалист, сотрудник",
        # support team
        "поддержка, техподдержка, саппорт, сапорт, хелпдеск",
        # schedule
        "график, режим",
        # today
        "сегодня, седня, сиводня",
        # round the clock
        "круглосуточно, круглосуточная, нонстоп",
        # lunch break
        "обед, перерыв, обеденный",
        # invoice
        "счет, инвойс, счетфактура",
        # receipt
        "чек, квитанция, кассовый, фискальный",
        # company details
        "реквизиты, инн, кпп, огрн, бик",
        # tax
        "ндс, налог, налоговый, вычет",
        # wholesale
        "опт, оптом, оптовый, оптовик",
        # gift card
        "сертификат, серт, подарочный, гифткарта, гифт",
        # availability, sold out
        "раскупили, разобрали, солдаут, остатки",
        # notify me
        "уведомить, уведомление, оповестить, оповещение, известить",
        # pre-order
        "предзаказ, предзаказать, преордер",
        # reserve, hold an item
        "забронировать, бронь, бронирование, резерв, зарезервировать, отложить, отложите",
        # trade-in
        "трейдин, трейд, зачет, скупка, скупаете",
        # used goods
        "бу, бэушный, бэушка, юзаный, поюзанный",
        # goods
        "товар, вещь, вещи, покупка, шмотки, шмотка, шмот",
        # device
        "девайс, гаджет, устройство, аппарат, техника",
        # specifications
        "характеристики, харки, параметры, спеки",
        # manual
        "инструкция, мануал, руководство",
        # installation
        "установка, установить, монтаж, смонтировать, монтажник",
        # mobile app
        "приложение, прилага, прилка, приложуха, апп",
        # cart, checkout
        "корзина, чекаут",
    ),
    "uk": (
        "зателефонувати, телефонувати, дзвонити, подзвонити, дзвінок, телефон, гаряча лінія",
        "звязатися, контакти, написати, імейл, емейл, email",
        "субота, неділя, вихідні, свята, святкові, вікенд, уікенд, новорічні, суббота, воскресенье",
        "відкриваєтесь, зачиняєтесь, відчинений, відкритий, працюєте, графік",
        "розстрочка, частинами, кредит, розсрочка, рассрочка, частями, помісячно, щомісячно, "
        "внесок, кредитування, позика",
        "оплатити, заплатити, розрахуватися, платити, оплата",
        "зламався, перестав, перестали, поломка, несправність, ремонт, полагодити, відремонтувати",
        "видалити, стерти, видаліть, видалення, деактивувати, деактивація, удалити",
        "увійти, зайти, вхід, авторизуватися, логін, пускає, залогінитися, ввійти, авторизація",
        "доставка, привезти, довезти, доставити, возите, відправити, відправляєте, привозите, "
        "довозите, везете, везти, шлете, надсилаєте, надіслати, висилаєте",
        "ціна, вартість, коштує, платна, доплачувати, почому, почім, цінник, прайс, тариф, "
        "розцінки, стоїть",
        "змінити, поміняти, замінити, виправити, редагувати, поправити, скоригувати, "
        "коригувати, переоформити, додати, докинути",
        "додати, дозамовити, докинути, докупити, доповнити, добавити, добавить",
        "скасувати, відміна, скасування, відмовитися, відмовитись, анулювати, відмінити, "
        "відмініть, скасуйте, отменить",
        "юрособа, юридична, фоп, організація, компанія, безготівка, тов, фірма, пдв, юрлицо, "
        "підприємство, контора, корпоративний, юрик",
        "надходження, поставка, зявиться, завезуть, завоз, поповнення, поступлення",
        "промокод, купон, промік, промо, купончик, промка, код",
        "відмова, відхилено, відхиляє, помилка, недійсний, проходить",
        "повернути, здати, повернення, назад, віддати",
        "посилка, відправлення",
        "терміни, час, довго, чекати",
        "приймаєте, оплатити",
        "вводити, ввести, вводжу, застосувати, використати",
        "дані, інформація, персональні",
        "регіони, регіон, міста, місто, села, село, країни, країна, кордон, область",
        "забрати, заберу, самовивіз, самовивозом, заїду, підїду, заскочу, забіжу",
        "платіж, оплата",
        "безкоштовно, безкоштовна, безплатно, безплатна, даром, безкоштовний, халява, задарма, "
        "бесплатно",
        "акаунт, профіль, обліковий, обліковка, кабінет, лк, акк, учетка",
        # --- more shop vocabulary ---
        # a parcel arriving
        "прийде, прийшла, прийшов, приде, дійде, дійшла, дійшов, доходить, приїде, прибуде, "
        "прилетить, надійде",
        # a parcel on its way
        "йде, іде, йшла, ішла, їде, їхала, везуть, повзе",
        # tracking a parcel
        "відстежити, відстеження, відстежувати, відслідкувати, трек, трекінг, трекномер, ттн",
        # a lost parcel
        "загубилася, загубилась, загубили, зникла, пропала, пропав, втратили, загублена",
        # a late parcel
        "затримка, затримується, затримали, запізнюється, запізнення, запізнився, опаздує",
        # dispatch, ship out
        "відправка, відвантаження, відвантажити, вислати, вишлете, висилаєте",
        # courier
        "курєр, курєрка, курєрська, курєрську",
        # urgent, fast delivery
        "експрес, пришвидшити, швидше, швидко, швидка, срочно",
        # bulky goods
        "великогабаритний, габарит, негабарит, габаритний, громіздкий",
        # abroad, international
        "кордон, закордон, міжнародна, міжнародний, заграниця, забугор, іноземний",
        # village, remote settlement
        "село, селище, смт, глибинка, хутір, район, деревня",
        # customs
        "митниця, мито, розмитнення, митний, таможня",
        # extra fee
        "комісія, націнка, надбавка",
        # minimum order
        "мінімалка, мінімальне, мінімальна, мінімум, поріг",
        # carrier branches, lockers
        "відділення, поштомат, пвз, самовивіз",
        # a physical store
        "офлайн, шоурум, салон, роздріб, роздрібний",
        # where the shop is
        "знаходитесь, знаходиться, розташовані, розташування, локація, місцезнаходження",
        # days (irregular forms)
        "день, дні, днів, дня, доба, добу, діб",
        # merge orders
        "обєднати, обєднання, поєднати, сумістити",
        # colour
        "колір, кольору, розцвітка, відтінок, цвет",
        # recipient's name
        "піб, імя, прізвище, ініціали, фио",
        # cash
        "готівка, готівкою, наличка, нал, наличні, кеш",
        # bank card
        "картка, карткою, карта, карточка, банківська, дебетова",
        # cash on delivery
        "накладений, накладеним, наложка, наложкою, наложений, післяплата, післяплатою",
        # bank transfer
        "переказ, переказом, переказати, перекинути, перекину, переказую",
        # money (slang)
        "гроші, грошики, грошенята, бабки, бабло, деньги, гроши",
        # declined
        "відхилено, відхилили, відхиляється, відбиває, відбило, отклонили",
        # an error
        "помилка, помилочка, збій, еррор, ошибка",
        # money debited or held
        "списали, списалися, списання, зняли, знялися, холд, заморозили",
        # charged twice
        "двічі, подвійне, подвійна, задвоїлось, задвоєння, продублювалось, дубль",
        # credit approval
        "схвалення, схвалили, схвалять, схвалено",
        # discount, sale
        "знижка, знижечка, скидон, дисконт, акція, розпродаж, сейл",
        # bonus points, cashback
        "бонуси, бали, кешбек, кешбэк, бонусні, лояльність, накопичувальна",
        # expired
        "прострочений, прострочено, протермінований, сплив",
        # did not fit (irregular forms)
        "підійшов, підійшла, підійшло, підходить, підійде, подошел",
        # defect
        "брак, бракований, бракована, дефект, дефектний, заводський",
        # damaged
        "пошкоджений, пошкодження, пошкодили, тріснув, тріщина, помятий, помяли, вмятина",
        # scratches
        "подряпина, подряпини, подряпаний, царапина, поцарапаний, скол, потертість",
        # wrong item sent
        "переплутали, сплутали, переплутано, перепутали",
        # item missing from the parcel
        "недовкладення, некомплект, недокомплект, нестача, недоклали",
        # opened, unpacked
        "розпакований, розпакував, розпечатав, розкритий, розкрили",
        # packaging
        "упаковка, коробка, коробочка, тара, пломба",
        # tags and labels
        "бирка, бирки, ярлик, етикетка",
        # checking the goods on receipt
        "примірка, приміряти, огляд, оглянути",
        # complaint
        "скарга, поскаржитися, претензія, рекламація, незадоволений, жалоба",
        # refund, reimbursement
        "рефанд, відшкодування, відшкодувати, компенсація, компенсувати",
        # warranty card
        "талон, гарантійка, гарантійник",
        # manufacturer
        "виробник, виготовлювач, вендор, производитель",
        # genuine or fake
        "оригінал, оригінальний, підробка, паль, палений, репліка, фейк",
        # broken, dead device
        "зламався, зламалась, здох, здохла, помер, померла, накрився, накрилась, гикнувся, "
        "запускається, сломався",
        # glitching device
        "несправність, глючить, глюк, тупить, лагає, зависає, висне, гальмує, тормозить",
        # service centre
        "сервісний, сервісник, сц, майстерня, ремонт",
        # diagnostics
        "діагностика, експертиза, діагностувати",
        # forgot
        "забув, забула, забули, згадати, забыл",
        # password
        "пароль, пасс, пасворд, password",
        # reset, recover
        "відновити, відновлення, відновіть, ресет, сброс, сбросити",
        # blocked, banned
        "заблокували, заблокований, блокування, заблочили, забанили, бан",
        # sign up
        "реєстрація, зареєструватися, зареєструватись, зарегатися, регнутися, реєструватися",
        # sms
        "смс, sms, смска, есемеска, есемес",
        # unsubscribe
        "відписатися, відписка, відпишіть, отписатися",
        # mailings, spam
        "розсилка, розсилки, спам, спамите",
        # personal data, privacy
        "персональні, персдані, конфіденційність, приватність",
        # call centre
        "коллцентр, хотлайн, гаряча",
        # a person to talk to
        "оператор, менеджер, консультант, спеціаліст, співробітник, працівник",
        # support team
        "підтримка, техпідтримка, саппорт, сапорт, поддержка",
        # schedule
        "графік, розклад, режим",
        # today
        "сьогодні, сьодні, седня, сегодня",
        # round the clock
        "цілодобово, цілодобовий, нонстоп, круглосуточно",
        # lunch break
        "обід, перерва, обідня",
        # invoice
        "рахунок, інвойс, рахунокфактура, счет",
        # receipt
        "чек, квитанція, касовий, фіскальний",
        # company details
        "реквізити, єдрпоу, іпн, рнокпп, мфо, iban, ібан",
        # tax
        "пдв, податок, податкова, ндс",
        # wholesale
        "опт, оптом, оптовий, гурт, гуртом, гуртовий",
        # gift card
        "сертифікат, подарунковий, подарочний, гіфткарта, гіфт",
        # availability, sold out
        "наявність, розкупили, розібрали, солдаут",
        # notify me
        "сповістити, сповіщення, оповіщення, нагадати, нагадування",
        # pre-order
        "предзаказ, преордер",
        # reserve, hold an item
        "забронювати, бронь, бронювання, резерв, зарезервувати, відкласти, відкладіть, притримати",
        # trade-in
        "трейдін, трейдин, трейд, залік, зачет, скупка, скуповуєте",
        # used goods
        "бу, вживаний, вживана, уживаний, юзаний, поюзаний",
        # goods
        "товар, річ, речі, покупка, шмотки, шмот",
        # device
        "девайс, гаджет, пристрій, апарат, техніка",
        # specifications
        "характеристики, харки, параметри, специфікація",
        # manual
        "інструкція, мануал, посібник",
        # installation
        "встановлення, встановити, монтаж, змонтувати, монтажник",
        # cart, checkout
        "кошик, корзина",
    ),
    "en": (
        "call, phone, hotline, helpline, telephone, callback, dial, tollfree, callcenter, "
        "callcentre",
        "contact, reach, email",
        "weekend, weekends, saturday, sunday, holidays, holiday, christmas, xmas, easter, "
        "thanksgiving",
        "open, close, closing, opening, hours",
        "installments, financing, credit, instalments, installment, finance, bnpl, emi, "
        "layaway, loan, paylater",
        "pay, payment, checkout",
        "broke, broken, busted, stopped, repair, fix, cracked, faulty",
        "delete, remove, erase, removed, deactivate, deletion, erasure, wipe, purge",
        "login, log, sign, signin, logon, authenticate, authentication",
        "deliver, delivery, ship, shipping, send",
        "cost, fee, price, charge, pricing, rate, rates, postage",
        "change, update, modify, edit, amend, alter, adjust, revise, add, addon",
        "cancel, cancellation, canceled, abort, scrap, void, annul, undo",
        "business, company, corporate",
        "restock, stock, available",
        "coupon, promo, discount, promocode, deal, deals, sale, rebate, markdown",
        "declined, failed, error, rejected, invalid, bounced, bounce, denied, refused, "
        "unsuccessful, fail",
        "return, returned",
        "package, parcel, stuff, shipment, pkg",
        "long, time, soon, fast, quickly, eta, timeframe, turnaround, leadtime, timeline, duration",
        "accept, take, pay",
        "enter, apply, use, put, type, insert, paste, redeem",
        "data, information, personal",
        "countries, country, abroad, internationally, international, outside, overseas, "
        "worldwide, global, globally, foreign, crossborder",
        "pick, collect, grab, pickup, collection, instore, curbside, bopis",
        "charged, charge, billed",
        "free, complimentary",
        "account, profile, acct, acc",
        "invoice, bill",
        "voucher, certificate",
        # --- more shop vocabulary ---
        # a parcel arriving
        "arrive, arrival, arrived, arriving, land, landed",
        # tracking a parcel
        "track, tracking, trace, waybill",
        # a lost parcel
        "lost, vanished, disappeared, misplaced, stolen",
        # a late parcel
        "delay, delayed, overdue, postponed",
        # courier
        "courier, carrier, postman, mailman",
        # urgent, fast delivery
        "express, expedited, expedite, rush, urgent, asap, priority, overnight, nextday, sameday",
        # rural areas
        "rural, village, pobox",
        # delivery area
        "region, area, zone, territory, postcode, zipcode, zip",
        # customs
        "customs, duties, duty, clearance, import",
        # free of charge
        "free, gratis, waived, freebie",
        # minimum order
        "minimum, threshold, minimal",
        # lockers and pickup points
        "pickup, locker, lockers, pudo",
        # where the shop is
        "located, location, directions, premises",
        # merge orders
        "combine, merge, combined",
        # colour
        "color, colour, shade, colorway, tint",
        # quantity
        "quantity, qty, pcs, pieces, units",
        # recipient
        "recipient, consignee, addressee",
        # cash
        "cash, cod, banknotes",
        # bank transfer
        "transfer, wire, banktransfer, iban",
        # wallets, contactless
        "wallet, ewallet, nfc",
        # crypto
        "crypto, cryptocurrency, bitcoin, btc",
        # money (slang)
        "money, bucks, funds, dough, quid",
        # money debited
        "charged, debited, deducted, withdrawn",
        # a pending charge
        "pending, authorization, authorisation, preauthorization, preauth",
        # charged twice
        "twice, double, doubled, duplicate, duplicated",
        # rewards, cashback
        "rewards, loyalty, cashback, bonus",
        # exchange
        "exchange, swap",
        # defect
        "defective, defect, doa, dud, lemon",
        # damaged
        "damaged, damage, smashed, dented, shattered",
        # scratches
        "scratch, scratched, scuff, scuffed",
        # wrong item sent
        "wrong, incorrect, mixup, mistaken",
        # item missing from the parcel
        "missing, incomplete, shortage",
        # opened, unpacked
        "unboxed, unsealed, sealed, unopened",
        # packaging
        "box, boxes, carton, wrapping",
        # checking the goods on receipt
        "inspect, inspection, examine",
        # complaint
        "complaint, complain, grievance, dissatisfied, unhappy",
        # refund, reimbursement
        "refund, reimbursement, reimburse, reversal",
        # warranty
        "warranty, guarantee, guaranty, warrantee",
        # manufacturer
        "manufacturer, vendor, brand, oem",
        # genuine or fake
        "genuine, original, fake, knockoff, replica",
        # broken, dead device
        "broken, broke, dead, died, bricked, kaput, fried, busted",
        # malfunctioning device
        "faulty, malfunction, malfunctioning, glitchy, glitching, freezing, freezes, lagging, "
        "laggy, overheating, overheats",
        # repair shop
        "repair, technician, workshop, servicing",
        # diagnostics
        "diagnostics, diagnosis, diagnose, troubleshoot, troubleshooting",
        # forgot
        "forgot, forgotten, forget, remember",
        # password
        "password, passcode, pwd, passwd, pword",
        # reset, recover
        "reset, recover, recovery, retrieve",
        # locked out
        "locked, lockout, blocked, suspended, banned, disabled",
        # verification code
        "otp, verification, 2fa, twofactor, authenticator",
        # sign up
        "register, registration, signup, enroll, enrol",
        # privacy
        "gdpr, privacy, ccpa, dsar",
        # marketing emails
        "unsubscribe, unsub, optout, newsletter, newsletters, spam",
        # a person to talk to
        "human, agent, operator, representative, rep, staff, supervisor, advisor",
        # support team
        "support, helpdesk",
        # live chat
        "chat, livechat, messenger, dm",
        # schedule
        "schedule, hours",
        # today
        "today, tonight",
        # round the clock
        "nonstop, anytime, roundtheclock, aroundtheclock",
        # company purchase (without "business": it also means "business hours")
        "company, corporate, b2b, firm, organization, organisation, llc, ltd, inc",
        # receipt
        "receipt, proof, slip",
        # tax
        "vat, gst, tax, taxes",
        # wholesale
        "wholesale, bulk, reseller",
        # quote
        "quote, quotation, proforma",
        # availability, sold out
        "stock, availability, unavailable, soldout, sold, oos, backorder, backordered",
        # restock
        "restock, replenish, replenishment, resupply",
        # notify me
        "notify, notification, alert, alerts, remind, reminder",
        # pre-order
        "preorder, presale, prerelease",
        # reserve an item
        "reserve, reservation, reserved, aside",
        # trade-in
        "tradein, trade, partex, buyback, tradeup",
        # refurbished, second-hand
        "refurbished, refurb, secondhand, preowned, renewed",
        # goods
        "item, items, product, merchandise, merch, purchase",  # not "goods": "good"
        # device
        "device, gadget, appliance",
        # specifications
        "specs, specifications, spec, characteristics, features",
        # manual
        "manual, instructions, guide, handbook",
        # installation
        "setup, mounting, mount, assembly, assemble",
        # mobile app
        "app, apps, apk",
        # cart
        "cart, basket, trolley",
    ),
}


class Synonyms:
    """The groups of one FAQ, as stems; tells which stems stand in for a question's."""

    __slots__ = ("_cache", "_groups", "_vocab")

    def __init__(self, groups: Mapping[str, Sequence[str]]) -> None:
        members: dict[str, set[int]] = {}  # stem -> the groups it is in
        stems: list[tuple[str, ...]] = []
        for items in groups.values():
            for group in items:
                found = tuple(dict.fromkeys(_stems(group.split(","))))
                if len(found) < 2:
                    continue
                for s in found:
                    members.setdefault(s, set()).add(len(stems))
                stems.append(found)
        self._vocab = text.Vocabulary(members)
        # per vocabulary term: every other stem of its groups
        self._groups = tuple(
            tuple(
                dict.fromkeys(s for g in members[t] for s in stems[g] if s != t),
            )
            for t in self._vocab.terms
        )
        self._cache: dict[str, dict[str, float]] = {}

    @property
    def stems(self) -> tuple[str, ...]:
        """Every stem of every group."""
        return self._vocab.terms

    def mates(self, term: str) -> dict[str, float]:
        """Stem -> similarity for the words that stand in for ``term`` (none: {}).

        The result is shared (memoised per table): callers must not modify it."""
        cached = self._cache.get(term)
        if cached is not None:
            return cached
        if len(self._cache) >= text.MATCH_CACHE_SIZE:
            self._cache.clear()  # bounded like Vocabulary.matches
        found = self._cache[term] = self._mates(term)
        return found

    def _mates(self, term: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for tid, sim in self._vocab.matches(term).items():
            if sim < KEY_MATCH:
                continue
            for mate in self._groups[tid]:
                if mate != term and sim > out.get(mate, 0.0):
                    out[mate] = sim
        return out


def _stems(items: Iterable[str]) -> list[str]:
    return [s for item in items for s in text.terms(item)]


def merge(extra: Mapping[str, Sequence[str]] | None) -> dict[str, tuple[str, ...]]:
    """The built-in groups plus an FAQ's own (locale -> groups)."""
    merged = dict(SYNONYMS)
    for loc, groups in (extra or {}).items():
        merged[loc] = tuple(dict.fromkeys((*merged.get(loc, ()), *groups)))
    return merged
