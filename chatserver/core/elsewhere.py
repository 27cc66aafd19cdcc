"""Other companies' services that visitors name: "мой заказ на вайлдберриз", "забула
пароль від приват24", "how do i delete my instagram account". Such a question shares
its words with the shop's own entries (order status, password reset, account deletion)
but is about someone else's order, password or account: ``topics`` weighs a word of
this list as ``OWNED`` (another owner), so the out-of-scope guard refuses it unless
the rest of the question is clearly the shop's.

A word the FAQ uses anywhere (a partner bank in an answer, the carrier the shop ships
with) is never looked up here: ``faq.py`` asks only about words the FAQ does not know.
Admins add their market's names under ``others:`` in an FAQ file.

The list is general knowledge of the en/ru/uk markets: marketplaces and retailers,
carriers, state portals, social networks and messengers, mail and app stores,
transport; and the institutions and trades a shop is never asked about (clinics,
police, passports and tax offices, mortgages and crypto, car makers, food delivery),
which visitors mix with the shop's words ("во сколько закрывается МФЦ в субботу",
"how long is the warranty on a new toyota"). Names that are also everyday words
("розетка" is a socket, "алло" a greeting, "booking", "target", "bolt") are left out,
or kept in their Latin spelling only. Banks are left out: "карта сбера не проходит" is
the shop's failed payment; "пароль от сбербанк онлайн" is caught by its "от"
(``topics.OWNED``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from chatserver.core import commonness, expressions, text

_NAMES = """
    wildberries вайлдберриз валдберриз вайлдберис валберис озон ozon aliexpress алиэкспресс
    алиэкспрес аліекспрес аліекспресс али-экспресс avito авито amazon амазон ebay ибей
    etsy shein шейн joom джум lamoda ламода kaspi каспи rozetka olx олх епіцентр epicentr
    фокстрот эльдорадо мвидео ситилинк citilink мегамаркет сбермегамаркет walmart costco
    newegg argos currys bestbuy temu яндекс yandex
    сдэк сдек cdek боксберри boxberry укрпошта укрпочта ukrposhta justin dhl fedex ups
    usps evri dpd hermes
    госуслуги gosuslugi
    instagram инстаграм інстаграм facebook фейсбук vk вконтакте telegram
    телеграм телеграмм whatsapp ватсап вотсап viber вайбер tiktok тикток тікток youtube
    ютуб twitter твиттер gmail гмейл icloud netflix нетфликс spotify uber убер
    glovo airbnb ryanair аэрофлот укрзалізниця укрзализныця ржд
    мфц цнап поликлиника поліклініка больница лікарня полиция поліція police hospital
    clinic паспорт passport прописка налоговая податкова пенсионный пенсійний dmv
    биткоин біткоїн bitcoin криптовалюта ипотека іпотека mortgage
    toyota тойота bmw бмв mercedes мерседес audi ауди hyundai хендай volkswagen
    пицца піца pizza суши суші sushi
"""

# More names of the en, ru and uk markets (carriers, shops and supermarkets, food
# delivery and taxis, travel, state services, games and streaming, mail, telecom,
# restaurants, utilities): written for this list by a helper from general knowledge,
# without seeing any FAQ or evaluation question; banks and the brands of goods a shop
# sells were left out, and so were names that are dictionary words ("мегафон", "steam",
# "discord") or whose stem begins everyday words ("стим" for "стимул", "sixt" for
# "sixty"): checked against the 40,000 commonest words of each language.
_MORE_NAMES = """
    fedex tnt ontrac lasership purolator canpar parcelforce myhermes gls inpost
    colectplus parcel2go shiply сдэка сдэку сдэком сдэке сдека сдеку сдеком сдеке пэк
    пэка пэком pecom pickpoint пикпоинт дпд delin делин желдорэкспедиция dostavista
    достависта 5post укрпошти укрпошту укрпоштою укрпошті укрпочты укрпочте укрпочту
    укрпочтой новапошта новапошти novaposhta novapost mest mestexpres делівері амазона
    амазоне амазону амазоном амазоні ебей ибэй етсі aliexpres алиэкспреса алиэкспресе
    алиэкспресом алиекспрес аліекспресі аліекспресу шеин волмарт уолмарт kroger костко
    safeway publix wegmans meijer albertsons traderjoes wholefods samsclub 7eleven
    7eleven dolartre walgrens cvs riteaid microcenter gamestop lowes homedepot macys
    nordstrom sephora ulta wayfair tjmax tkmax tesco теско sainsburys sainsburys
    sainsbury asda morisons waitrose ocado aldi альди lidl лидл farmfods poundland wilko
    superdrug primark asos boho zalando uniqlo matalan waterstones dunelm screwfix
    tolstation ebuyer cex mediamarkt медиамаркт ikea икеа ике икею ікеа ікеї декатлон
    декатлоне вайлдбериз вайлдберис валдберис вилдберис мегамаркете мегамаркета ламоде
    ламоду сбермаркет сбермаркете вкусвил вкусвила вкусвиле вкусвилом вкусвилу vkusvil
    ашан ашана ашане ашану ашаном auchan fixprice фикспрайс фикспрайсе самбери
    sportmaster детмир детмире eldorado ситилинка ситилинке евросеть евросети летуаль
    letual леруа leroy leroymerlin хоф hof drom пикабу хабр ригла ригле асна горздрав
    здравсити еаптека сільпо сильпо silpo атб atb novus новус варус varus велмарт
    velmart фозі епіцентрі епіцентру епіцентром epicentrk фокстроті foxtrot ельдорадо
    moyo мойо олікс kasta watsons jysk юск intertop brocard брокард telemart craigslist
    gumtre zilow rightmove zopla glasdor upwork fiver dordash дордэш instacart grubhub
    delivero ubereats убера убере убером postmates gopuf justeat глово wolt волт uklon
    яндекса яндексе яндексу яндексом яндекстакси deliveryclub деливери lyft гет
    ситимобил indrive indriver индрайв индрайвер индрайве frenow делимобиль ситидрайв
    юрент amtrak megabus flixbus фликсбас фліксбас jetblue райанэйр райанейр wizair wiz
    визэйр візейр easyjet изиджет jet2 lufthansa люфтганза люфтганзы klm airfrance
    emirates eurostar trainline lner gwr tfl tui aeroflot utair ютэйр аэроэкспрес
    укрзалізницю укрзалізницею укрзализница укрзализнице укрзализницы ukrzaliznytsia
    skyup скайап автолюкс busfor бусфор blablacar блаблакар эйрбиэнби аирбнб expedia
    priceline orbitz vrbo tripadvisor trivago skyscaner скайсканер aviasales авиасейлс
    agoda hostelworld mariot hilton hyat wyndham travelodge europcar zipcar turo фнс сфр
    пенсионого мвд фмс уфмс росрестр росрестре росрестра ркн роскомнадзор фсп цнапі
    цнапу мвс сбу мінцифри irs uscis tsa hmrc dvla dvsa nhs dwp ukvi ofcom ofgem hmpo
    ucas стім стіма стімі стіму steampowered epicgames minecraft майнкрафт майнкрафта
    майнкрафте майнкрафту майнкрафтом майнкрафті roblox роблокс роблокса роблоксе
    роблоксу роблоксом роблоксі robux робукс робуксы робуксов fortnite фортнайт
    фортнайта фортнайте фортнайту фортнайті valorant валорант валоранте валоранта
    genshin геншин геншине геншина honkai хонкай mihoyo hoyoverse dota дотой dota2 csgo
    cs2 ксго кс2 counterstrike faceit фейсит pubg пабг пубг warface варфейс warthunder
    вартандер tarkov тарков таркове таркова warzone overwatch hearthstone batlenet
    wargaming варгейминг lesta brawlstars бравл бравлстарс supercel standof2 frefire
    твич твиче твича твіч твічі нетфликсе нетфликса нетфлікс нетфліксі спотифай спотіфай
    disney дисней disneyplus hulu hbo hbomax crunchyrol primevideo paramountplus
    peacocktv dezer soundcloud кинопоиск кинопоиска кинопоиске kinopoisk иви ivi кион
    kion амедиатека megogo мегого rutube рутуб рутубе nowtv iplayer itvx dazn britbox
    patreon бусти duolingo дуолинго ютуба ютубе ютубом ютубі ютюб ютьюб гмаил джимейл
    hotmail yaho яху mailru мейлру ukrnet укрнет protonmail aol айклауд айклауде дискорд
    дискорда дискорде дискорді дискордом skype скайп скайпа скайпе скайпі скайпом
    вконтакті vkontakte однокласники однокласниках однокласников однокласники
    однокласниках телеграма телеграме телеграму телеграме телеграмі ватсапе ватсапа
    ватсап ватсапе вотсапе вацап вацапе ватсапі вотсапі вайбере вайбера вайбері вайбером
    інстаграмі інстаграму тиктоке тиктока тіктоці тіктоку фейсбуке фейсбука фейсбуці
    snapchat снэпчат снапчат pinterest пинтерест linkedin линкедин redit редит твитере
    твітер твітері tumblr quora тиндер тиндере bado баду wechat icq getcontact truecaler
    мтс mts билайн билайна билайне билайну megafon теле2 tele2 yota ростелеком
    ростелекома ростелекоме rostelecom мгтс київстар київстару київстарі київстаром
    киевстар киевстара киевстаре kyivstar kievstar vodafone водафон водафона водафоне
    водафону водафоні lifecel лайфсел лайфсел интертелеком інтертелеком укртелеком
    ukrtelecom volia lanet ланет triolan тріолан verizon веризон tmobile tmobile xfinity
    comcast metropcs mintmobile talktalk plusnet gifgaf lebara lycamobile voxi
    hyperoptic openreach starbucks старбакс старбаксе старбакса mcdonalds mcdonalds
    макдональдс макдональдсе макдональдса макдоналдс макдоналдсе kfc кфс burgerking
    pizahut доминос papajohns пападжонс wendys wendys tacobel chipotle popeyes chickfila
    chickfila dunkin krispykreme nandos nandos wetherspons wagamama itsu hortons ihop
    ростикс rostics додо dodopiza якитория тануки дтэк дтек dtek нафтогаз нафтогазу
    нафтогазі нафтогазом naftogaz укренерго ukrenergo yasno київобленерго київенерго
    киевэнерго мосэнерго мосэнергосбыт мосэнергосбыта мосгаз мособлгаз мосводоканал
    газпром gazprom росети энергосбыт петроэлектросбыт лукойл lukoil роснефть wog oko
    edf britishgas scotishpower thameswater conedison exon eso texaco
"""

# The wider world: weather, health, the state and the law, school, travel, housing,
# food, cars, jobs, sport, religion, entertainment and money outside a shop ("в спб
# дождь будет на выходных?", "забыл пароль от школьного электронного дневника", "my
# flight got cancelled, how do i get a refund"). Written for this list by a helper who
# saw an example FAQ but no evaluation question; words a shop of goods is asked about
# ("квартира" for a delivery, "дилер", "tires" for "tired", "exam" for "example") are
# left out.
_WORLD = """
    погода погоды погоде погоду дождь дождя дожде дожди дождей ливень ливня снег снега
    снегу снегом снегопад снегопада туман тумана гололёд гололёда гололед гололеда
    метель ураган шторм торнадо землетрясение наводнение засуха оттепель осадки осадков
    заморозки синоптик синоптики гидрометцентр природа природы природе врач врача врачу
    врачи врачей доктор доктора терапевт терапевта педиатр педиатра стоматолог
    стоматолога стоматология хирург гинеколог окулист офтальмолог невролог психотерапевт
    психиатр аптека аптеки аптеке аптеку лекарство лекарства лекарств таблетка таблетки
    таблеток таблетку антибиотик антибиотики антибиотиков укол уколы уколов прививка
    прививки прививку вакцина вакцины вакцинация анализы анализов симптом симптомы
    симптомов диагноз диагноза болезнь болезни грипп гриппа простуда простуды ковид
    коронавирус кашель насморк ангина мигрень рецепт рецепта рецепты рецептов больничный
    больничного медсестра санаторий омс дмс пенсия пенсии пенсию пфр загранпаспорт
    загранпаспорта консульство посольство гражданство внж военкомат повестка повестки
    мобилизация гибдд гаи дпс пдд гаишник нотариус загс выборы выборов президент
    президента депутат госдума правительство министр губернатор мэр парламент субсидия
    пособие алименты урок урока уроки уроков домашка домашку домашки экзамен экзамена
    экзамены экзаменов егэ огэ впр гиа университет университета универ вуз вуза институт
    института колледж техникум лицей гимназия детсад садик садика дневник дневника
    репетитор репетитора стипендия общежитие общага деканат ректор абитуриент диплом
    диплома дипломная дипломную курсовая курсовую реферат сочинение уравнение математика
    математике алгебра геометрия физика биология география рейс рейса рейсы рейсов
    авиабилет авиабилета авиабилеты билет билета билеты самолёт самолёта самолёте
    самолет самолета самолете авиакомпания аэропорт аэропорта аэропорту поезд поезда
    поезде вокзал вокзала вокзале электричка автобус автобуса автобусе маршрутка трамвай
    отель отеля отеле гостиница гостиницы гостинице хостел курорт путёвка путёвки
    путевка путевки турагентство турагент экскурсия багаж багажа пересадка арендодатель
    арендодателя арендатор риелтор риелтора риэлтор недвижимость новостройка застройщик
    жильё жилья жилье сантехник сантехником электриком жкх жэк жек тсж коммуналка
    коммуналку коммуналки квартплата счётчик счётчика счётчики счетчик счетчика счетчики
    хата хату борщ ресторан ресторана ресторане рестораны кафе повар покрышки техосмотр
    автошкола гараж гаража бензин солярка азс автосалон автосервис дтп осаго каско
    эвакуатор мотоцикл автокредит собеседование работодатель увольнение безработица
    биржа биржи декрет стаж роддом ветклиника матч матча футбол футбола хоккей баскетбол
    волейбол чемпионат турнир тренер тренера стадион букмекер олимпиада церковь церкви
    храм храма мечеть священник батюшка молитва религия фильм фильма фильмы фильмов
    сериал сериала сериалы сериалов мультфильм мультик мультики кино концерт концерта
    концерты спектакль театр театра музей музея  актёр актер актриса вклад
    вклада вклады депозит облигации дивиденды инвестиции брокер микрозайм гороскоп
    погода погоди погоді погоду дощ дощу дощі дощем злива сніг снігу снігопад туман
    туману ожеледь ожеледиця хуртовина ураган шторм торнадо землетрус повінь посуха
    опади опадів заморозки синоптик синоптики гідрометцентр природа природи природі
    лікар лікаря лікарю лікарі лікарів терапевт педіатр стоматолог стоматолога
    стоматологія хірург гінеколог окуліст офтальмолог невролог психотерапевт психіатр
    поліклініці амбулаторія аптека аптеки аптеці аптеку ліки ліків таблетка таблетки
    таблеток таблетку пігулка пігулки антибіотик антибіотики антибіотиків укол уколи
    уколів щеплення вакцина вакцини вакцинація аналізи аналізів симптом симптоми
    симптомів діагноз діагнозу хвороба хвороби грип грипу застуда застуди ковід
    коронавірус кашель нежить ангіна рецепт рецепта рецепти рецептів медсестра санаторій
    пенсія пенсії пенсію пфу консульство посольство громадянство тцк військкомат
    військкомату повістка мобілізація влк нотаріус рацс вибори виборів президент
    президента депутат нардеп уряд міністр парламент мер субсидія аліменти даі пдр урок
    уроку уроки уроків домашка домашку домашки іспит іспити іспитів екзамен екзамену
    екзамени зно нмт дпа університет університету універ виш інститут інституту коледж
    ліцей гімназія технікум садочок садочку щоденник щоденника репетитор репетитора
    стипендія гуртожиток гуртожитку деканат ректор абітурієнт диплом диплома дипломна
    дипломну курсова курсову реферат твір математика математики алгебра геометрія фізика
    біологія географія рейс рейсу рейси рейсів авіаквиток авіаквитка авіаквитки квиток
    квитка квитки літак літака літаку авіакомпанія аеропорт аеропорту аеропорті
    поїзд поїзда поїзді укрзалізниця укрзалізниці вокзал вокзалу вокзалі
    електричка автобус автобуса автобусі маршрутка тролейбус трамвай готель готелю
    готелі хостел курорт путівка путівки турагенція турагент екскурсія багаж багажу
    пересадка орендодавець орендодавця орендар ріелтор ріелтора рієлтор нерухомість
    новобудова забудовник житло житла сантехнік сантехніком електриком жек осбб
    комуналка комуналку комуналки квартплата лічильник лічильника лічильники водоканал
    облгаз обленерго борщ ресторан ресторану ресторани кафе кухар покришки техогляд
    автошкола гараж гаража бензин солярка азс автосалон автосервіс дтп осцпв автоцивілка
    каско евакуатор мотоцикл розмитнення автокредит співбесіда співбесіди роботодавець
    звільнення безробіття біржа декрет стаж ветеринар ветеринара ветклініка матч матчу
    футбол футболу хокей баскетбол волейбол чемпіонат турнір тренер тренера стадіон
    букмекер олімпіада церква церкви храм храму мечеть священник батюшка молитва релігія
    фільм фільму фільми фільмів серіал серіалу серіали серіалів мультфільм мультик
    мультики кіно концерт концерту концерти театр театру музей музею
    актор акторка депозит депозити вклад вкладу облігації овдп дивіденди інвестиції
    брокер гороскоп
    weather forecast forecasts rain raining rainy rainfall snow snowing snowfall
    snowstorm hurricane hurricanes tornado tornadoes blizzard drizzle windy heatwave
    earthquake earthquakes flood floods flooding drought tsunami monsoon wildfire
    wildfires meteorologist sunshine doctor doctors physician physicians surgery
    pharmacy pharmacist pharmacies dentist dentists nurse nurses pediatrician
    paediatrician dermatologist psychiatrist psychologist therapist medicine medicines
    medication medications antibiotic antibiotics prescription prescriptions
    vaccine vaccines vaccination symptom symptoms diagnosis covid cough fever migraine
    illness disease infection ambulance pension pensions retirement embassy consulate
    immigration citizenship election elections president senator congress parliament
    mayor governor politician politicians politics ballot welfare unemployment jury
    notary divorce custody alimony marriage homework university
    universities lesson lessons tutor tutors tutoring professor professors semester
    tuition scholarship scholarships essay essays thesis diploma curriculum syllabus
    kindergarten daycare gcse gcses gpa a-levels algebra geometry calculus chemistry
    biology physics classmate classmates flight flights airline airlines airport
    airports plane planes airfare boarding baggage layover itinerary jetlag hotel hotels
    hostel hostels motel railway tram ferry cruise cruises resorts tourist
    tourists sightseeing landlord landlords tenant tenants realtor realtors plumber
    plumbers electrician electricians roofer handyman renovation eviction recipe recipes
    restaurant restaurants cafe takeaway takeout groceries grocery supermarket
    ingredients tyre tyres petrol gasoline mechanic mechanics mileage
    odometer windshield windscreen brakes motorcycle motorbike speeding towing salary
    salaries paycheck payroll payslip recruiter interview layoff layoffs
    vacancy vacancies veterinarian football soccer basketball baseball hockey cricket
    rugby championship tournament league stadium betting bookmaker bookie olympics nba
    nfl nhl playoffs church churches mosque synagogue prayer priest religion movie
    movies concert concerts actor actress singer museum museums sitcom investment
    investments investing dividends dividend bonds broker forex 401k horoscope
    вакансия вакансии вакансий вакансию стажировка стажировку вакансія вакансії вакансій
    вакансію стажування hiring careers internship electricity электричество
    электричества электроэнергия электроэнергию електроенергія електроенергію
    електроенергії
"""


# Goods and services a shop of electronics has nothing to do with (food, flowers,
# furniture, building materials, clothes, trades, childbirth, general knowledge): a
# delivery or a price of these is another trade's ("доставка питної води", "дрова з
# доставкою"). Written for this list by a helper from general knowledge, without seeing
# any evaluation question; words that name appliances' uses (вода, кофе, молоко, вино,
# шкаф, одежда) were left out by the helper, and words whose stem begins common words
# by a check against 40,000 common words per language. An admin's products: list wins
# over it ("мебель" for a furniture shop).
_GOODS = """
    бакалея бакалеи бакалею овощи овощей овощами фрукты фруктов фруктами ягоды ягод
    ягодами хлеб хлеба хлебом батон батона батоны булка булки булочки булочек выпечка
    выпечки выпечку говядина говядины говядину свинина свинины свинину баранина баранины
    баранину курица курицы курицу курицей курятина курятины курятину индейка индейки
    индейку фарш фарша колбаса колбасы колбасу колбаски сосиски сосисок сардельки
    ветчина ветчины ветчину селедка селедки селедку креветки креветок картошка картошки
    картошку картофель картофеля морковь моркови морковку капуста капусты капусту
    помидоры помидоров огурцы огурцов чеснок чеснока свекла свеклы свеклу яблоки яблок
    бананы апельсины апельсинов мандарины мандаринов лимоны лимонов виноград винограда
    клубника клубники клубнику черешня черешни арбуз арбуза арбузы арбузов груши груш
    персики персиков сахар сахара гречка гречки гречку гречкой овсянка овсянки овсянку
    пшено пшена перловка перловки макароны макарон спагети сметана сметаны сметану
    творог творога кефир кефира шоколад шоколада шоколадку конфеты конфет печенье
    печенья зефир мармелад варенье варенья мороженое мороженого сладости сладостей орехи
    орехов семечки чипсы пельмени пельменей вареники вареников блины блинов блинчики
    котлеты котлет специ специй приправы салат салата салаты салатов торт торта торты
    тортов тортом тортик пирог пирога пироги пирогов пирожки пирожков пирожное пирожные
    пирожных десерт десерта десерты плов плова холодец оливье солянка солянку окрошка
    окрошку шашлык шашлыка шашлыки запеканка запеканку голубцы компот кисель сварить
    пожарить засолить замариновать питьевая питьевой питьевую бутилированая
    бутилированой бутилированую минералка минералки бутыль газировка газировки лимонад
    лимонада квас кваса алкоголь алкоголя спиртное спиртного водка водки водку коньяк
    коньяка коньяку виски шампанское шампанского ликер ликера джин самогон самогона
    вермут подгузники подгузников памперсы памперсов смеси коляска коляски коляску
    пеленки пеленок корм корма кормом кормов наполнитель наполнителя зомагазин выгул
    выгула передержка цветы цветочки букет букета букеты букетов букетом тюльпаны
    хризантемы пионы пионов ромашки мимоза мимозы орхидея орхидеи флорист флориста
    флористы расада расаду саженцы саженцев удобрение удобрения мебель мебели мебелью
    диванов кровати кроватей матрас матраса матрасы матрасов матрац матраца комод комода
    гардероб прихожая шторы штор стройматериалы стройматериалов цемент цемента кирпич
    кирпича кирпичи кирпичей бетон бетона песок песка щебень щебня гравий гипсокартон
    гипсокартона штукатурка штукатурки штукатурку шпаклевка шпаклевки грунтовка ламинат
    ламината паркет паркета линолеум линолеума черепица черепицы профнастил шифер
    утеплитель пенопласт арматура арматуры брус бруса вагонка гвозди гвоздей стяжка
    стяжки отделка отделки евроремонт перепланировка маляр маляра маляры штукатур
    штукатура плиточник плиточника каменщик кровельщик плотник плотника столяр столяра
    прораб дрова дров дровами уголь пелеты пелет брикеты брикетов балон балона балоны
    пропан пропана куртка куртки куртку пуховик пуховика пальто платье платья платьев
    джинсы джинсов брюки брюк штаны штанов футболка футболки футболку рубашка рубашки
    рубашку свитер свитера кофта кофты костюм костюма пиджак шапка шапки шапку шарф
    шарфа перчатки перчаток варежки носки носков колготки купальник пижама кросовки
    кросовок ботинки ботинок туфли туфель сапоги сапог босоножки тапочки сандали
    косметика косметики косметику парфюм парфюма парфюмерия помада помады крем крема
    кремом шампунь шампуня бальзам дезодорант макияж визажист косметолог косметолога
    украшения украшений бижутерия серьги сережки сережек кулон кулона цепочка цепочку
    ожерелье брилиант брилианты ювелирка ювелирный ювелирные ювелирного клининг клининга
    уборщица уборщицы уборщицу домработница горничная парикмахер парикмахера
    парикмахерская парикмахерской парикмахерскую масажист масажиста ателье портной
    портного перезд перезда перезде перездом догситер нянька няньку гувернантка сиделка
    сиделку сиделки юрист юриста адвокат адвоката психолог психолога татуировка похороны
    похорон похоронах ритуальные ритуальных кладбище кладбища гроб гроба венок венки
    памятник памятника крематорий родома родоме беременость беремености беременая
    беременой схватки акушер акушерка недвижимость недвижимости котедж котеджа таунхаус
    растаможка грузовик трактор седан внедорожник високосный високосного високосном
    население населения континент океана планета планеты экватор зодиак столетие
    тысячелетие бакалія овочі овочів фрукти фруктів ягоди ягід хліб хліба хлібом випічка
    випічки яловичина яловичини курка курки курку індичка індичку ковбаса ковбаси
    ковбасу оселедець ікра ікри картопля картоплі картоплю морква моркви капусти
    помідори помідорів огірки огірків часник буряк яблука яблук апельсини апельсинів
    мандарини мандаринів лимони винограду полуниця полуниці полуницю черешні кавун
    кавуна кавуни груші цукор цукру сіль солі борошно борошна гречкою вівсянка вівсянку
    пшоно макарони сметани кефір шоколаду цукерки цукерок печиво зефір вареня морозиво
    солодощі горіхи горіхів чипси пельмені млинці млинців котлети спеції каші торти
    тортів пиріг пиріжки тістечка тістечко голубці деруни варити зварити посмажити питна
    питної питну питною бутильована бутильованої бутильовану мінералка мінералки
    алкоголю спиртне горілка горілки горілку віскі шампанське лікер підгузки підгузків
    памперси суміш суміші пелюшки корму наповнювач вигул квіти квітів квітами квітка
    квіточки букети букетів троянди троянд півонії хризантеми лілії мімоза мімози
    орхідея флористи насіня розсада розсаду саджанці саджанців меблі меблів ліжко ліжка
    ліжок дивани диванів матраци матрацу комоду штори будматеріали цементу цегла цегли
    цеглу бетону пісок піску щебінь щебеню гіпсокартон шпаклівка шпаклівки ґрунтовка
    ламінату паркету лінолеум шпалери шпалер черепиця черепиці утеплювач пінопласт
    арматури цвяхи оздобленя муляр покрівельник тесля вугіля пелети пелет брикети балон
    балона балони пропану сукня сукні сукню спідниця спідниці джинси джинсів штани
    штанів сорочка сорочки светр светра рукавички рукавиці шкарпетки колготи піжама
    кросівки кросівок черевики черевиків туфлі чоботи чобіт босоніжки капці сандалі
    парфуми парфумів парфумерія шампуню прикраси прикрас намисто ланцюжок ювелірні
    ювелірний бижутерія макіяж клінінг клінінгу прибиральниця прибиральницю перукар
    перукаря перукарня перукарні перукарню масажист масажиста ательє кравець кравця
    кравчиня переїзд переїзду переїзді доглядальниця доглядальницю татуюваня похованя
    похорону ритуальні кладовище кладовища цвинтар цвинтаря труна труну вінок крематорій
    пологи пологів пологах народжувати народити пологовий пологового перейми нерухомість
    нерухомості котедж котеджу вантажівка позашляховик високосний високосному населеня
    континенту океану планети столітя тисячолітя grocery vegies bread breads pork
    chicken turkey sausage sausages seafod shrimp prawns potatoes cabage tomatoes
    cucumbers onions garlic bananas lemons grapes strawberies watermelon melon pears
    chese sugar flour buckwheat oatmeal poridge pasta nodles spagheti chocolate
    chocolates biscuits dumplings pancakes spices cake cakes cupcakes chesecake pastry
    pastries desert deserts salad salads stew caserole lemonade soda juice alcohol boze
    liquor vodka whiskey whisky cognac brandy champagne tequila diapers stroler strolers
    pram petfod kible gromer bouquet bouquets tulips peonies orchids florist florists
    sedlings fertilizer fertiliser furniture sofa sofas couch couches matres matreses
    wardrobe wardrobes dreser curtains cement concrete brick bricks gravel drywal
    plasterboard plaster floring parquet linoleum rofing lumber timber nails renovation
    renovations plasterer tiler bricklayer joiner firewod coal charcoal kindling pelets
    propane jacket jackets coat coats dreses skirt skirts trousers sweater sweaters
    hodie hodies gloves socks swimsuit pajamas pyjamas sneakers sandals cosmetics makeup
    perfume perfumes fragrance lipstick mascara shampo lotion jewelry jewelery necklace
    pendant diamonds housekeper housekeping janitor hairdreser hairdresers hairstylist
    maseur maseuse tailor tailors tailoring seamstres alterations movers removals
    relocation babysiter babysiters babysiting nany nanies dogwalker dogwalking lawyer
    lawyers atorney notary tato funeral funerals cemetery cofin cremation undertaker
    pregnancy pregnant childbirth obstetrician gynecologist maternity townhouse cotage
    dealership sedan tractor leap timezone timezones population planet planets equator
    zodiac century milenium elections
"""

# A name's inflected forms: its stem plus at most this many letters ("инстаграм" stems
# to "инстагр", "инстаграме" is that and "аме"); names shorter than this are exact.
_ENDING = 3
_MIN_STEM = 4
COMMON_ZIPF = 3.0  # a word this common is a form of a name only with a case ending
_CACHE_SIZE = 16_384


@functools.cache
def _forms(extra: tuple[str, ...] = ()) -> frozenset[str]:
    """Every listed word, folded as ``text.words`` folds question words."""
    joined = (name for names in expressions.NAMES.values() for name in names.values())
    items = (
        *_NAMES.split(),
        *_MORE_NAMES.split(),
        *_WORLD.split(),
        *_GOODS.split(),
        *joined,
        *extra,
    )
    return frozenset(w for item in items for w in text.words(item))


@functools.cache
def _stems(extra: tuple[str, ...] = ()) -> frozenset[str]:
    return frozenset(text.stem(w) for w in _forms(extra))


class Elsewhere:
    """The built-in names plus an FAQ's own ``others:``; tells whether a question word
    (folded, as ``text.words`` gives it) names another company's service."""

    __slots__ = ("_forms", "_seen", "_stems")

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self._stems = _stems(tuple(sorted(extra)))
        self._forms = _forms(tuple(sorted(extra)))
        self._seen: dict[str, bool] = {}  # asked for every unknown word of a message

    def __contains__(self, word: str) -> bool:
        found = self._seen.get(word)
        if found is None:
            if len(self._seen) >= _CACHE_SIZE:
                self._seen.clear()  # bounded; refills with the words in use
            found = self._seen[word] = self._names(word)
        return found

    def _names(self, word: str) -> bool:
        if word in self._stems:
            return True
        # another form of a name ("инстаграме"), but not a common word that merely
        # begins like one ("audio" is no "audi", "policy" no "police", "поездка" no "поезд")
        shortest = max(_MIN_STEM, len(word) - _ENDING)
        if not any(word[:k] in self._stems for k in range(len(word) - 1, shortest - 1, -1)):
            return False
        return (
            not _common(word)
            or word in self._forms
            or any(
                word[k:] in _ENDINGS and (word[:k] in self._stems or word[:k] in self._forms)
                for k in range(1, len(word))
            )
        )


# the endings after a listed word's stem that make a common word one of its forms
# ("инстаграме", "поліклініки", "податкову"): "поездка" is no form of "поезд", "audio"
# none of "audi", "policy" none of "police"
_ENDINGS = frozenset(
    ("а", "я", "у", "ю", "е", "і", "и", "ы", "ї", "й", "ой", "ей", "ою", "ею", "ом", "ем",
     "ам", "ям", "ах", "ях", "ами", "ями", "ов", "ев", "ів", "ий", "ый", "ого", "ему", "ому",
     "ых", "их", "ым", "им", "ими", "ыми", "ую", "юю", "ая", "яя", "ое", "ее", "ої", "ій",
     "s", "es")
)  # fmt: skip


def _common(word: str) -> bool:
    return any(commonness.zipf(word, lang) >= COMMON_ZIPF for lang in ("en", "ru", "uk"))
