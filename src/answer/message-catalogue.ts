import { identifyLanguage, isKbLanguage, isTranslatedLanguage, type KbLanguage, type LanguageCode, TRANSLATED_LANGUAGES, type TranslatedLanguage } from '../text/language.js';
import { MESSAGES } from './messages.js';

/**
 * What the service says itself, in the customer's language: the Chinese and English texts of messages.ts
 * and a translation per further language. A language without an entry (or an entry without a text) falls
 * back to English, so adding a language is adding one object here and its code to TRANSLATED_LANGUAGES. Product
 * names and the contact line are inserted as they are; the contact is written to follow the language's "contact …"
 * (src/answer/handoff-contact.ts chooses it).
 */
export interface LocalizedMessages {
  refusal: (contact: string) => string;
  /** Above a quote from the knowledge base, which is written in `source` (English or Chinese), not the customer's language. */
  extractiveNotice: (source: KbLanguage) => string;
  fallbackNotice: (source: KbLanguage) => string;
  detailsHandoff: (contact: string) => string;
  curatedFallbackNotice: string;
  sourcesHeading: string;
  /** The middle band without a model: the knowledge base's questions (in its language) for the customer to pick. */
  suggest: (suggestions: string[], contact: string) => string;
}

type Translation = Omit<LocalizedMessages, 'extractiveNotice' | 'fallbackNotice' | 'suggest'> & {
  /** Before the numbered suggestions, and after them with the contact. */
  suggestIntro: string;
  suggestOutro: (contact: string) => string;
  /** The names of the knowledge base's languages in this language. */
  names: Record<KbLanguage, string>;
  /**
   * The contact when the company gave none for this language: "our support team" as it fits the sentences' contact
   * slot (case and all), with the English contact's numbers and addresses (`supportTeam` below).
   */
  supportTeam: (details: readonly string[]) => string;
  extractiveNotice: (source: string) => string;
  fallbackNotice: (source: string) => string;
};

/** "our support team: +1…, support@…", for a language whose sentences end on the contact. */
const detailsAfter =
  (team: string, separator = ', ', colon = ': ') =>
  (details: readonly string[]) =>
    details.length ? `${team}${colon}${details.join(separator)}` : team;
/** "our support team (+1…, support@…)", for a language whose verb follows the contact (German, Japanese, Turkish…). */
const detailsInBrackets =
  (team: string, [open, separator, close] = [' (', ', ', ')']) =>
  (details: readonly string[]) =>
    details.length ? `${team}${open}${details.join(separator)}${close}` : team;

// Keyed by TRANSLATED_LANGUAGES: a language added there without a translation here (or the reverse) does not compile.
const TRANSLATIONS: Record<TranslatedLanguage, Translation> = {
  ar: {
    names: { en: 'الإنجليزية', zh: 'الصينية' },
    supportTeam: detailsAfter('خدمة العملاء', '، '),
    refusal: (contact) => `عذرًا، لم أجد في مقالات المساعدة ما يجيب عن هذا السؤال بشكل موثوق، ولا أريد أن أخمّن. يمكنك إعادة صياغة السؤال، أو التواصل مع ${contact}.`,
    extractiveNotice: (source) => `هذه الإجابة مقتبسة حرفيًا من مقالات المساعدة، وهي مكتوبة باللغة ${source} (بدون نص مُولَّد).`,
    fallbackNotice: (source) => `الإجابات المُولَّدة غير متاحة حاليًا؛ هذا اقتباس مباشر من مقالات المساعدة باللغة ${source}.`,
    detailsHandoff: (contact) => ` سنتابع الأمر فور وصول هذه المعلومات؛ ويمكنك أيضًا التواصل مع ${contact}.`,
    curatedFallbackNotice: 'الإجابات المُولَّدة غير متاحة حاليًا؛ هذه إجابة أعدّها فريق الدعم مسبقًا.',
    sourcesHeading: 'المصادر:',
    suggestIntro: 'لست متأكدًا من أن مقالات المساعدة تجيب عن هذا السؤال. هل تقصد أحد هذه الأسئلة؟',
    suggestOutro: (contact) => `إن لم يكن كذلك، يمكنك التواصل مع ${contact}.`,
  },
  fa: {
    names: { en: 'انگلیسی', zh: 'چینی' },
    supportTeam: detailsInBrackets('تیم پشتیبانی ما', [' (', '، ', ')']),
    refusal: (contact) => `متأسفم، در مقاله‌های راهنما چیزی پیدا نکردم که با اطمینان به این پرسش پاسخ دهد و نمی‌خواهم حدس بزنم. می‌توانید پرسش را به شکل دیگری بپرسید یا با ${contact} تماس بگیرید.`,
    extractiveNotice: (source) => `این پاسخ مستقیماً از مقاله‌های راهنما نقل شده است که به زبان ${source} نوشته شده‌اند (بدون متن تولیدشده).`,
    fallbackNotice: (source) => `پاسخ‌های تولیدشده اکنون در دسترس نیستند؛ این متن مستقیماً از مقاله‌های راهنما به زبان ${source} نقل شده است.`,
    detailsHandoff: (contact) => ` به محض دریافت این اطلاعات پیگیری می‌کنیم؛ همچنین می‌توانید با ${contact} تماس بگیرید.`,
    curatedFallbackNotice: 'پاسخ‌های تولیدشده اکنون در دسترس نیستند؛ این پاسخی است که تیم پشتیبانی از پیش آماده کرده است.',
    sourcesHeading: 'منابع:',
    suggestIntro: 'مطمئن نیستم مقاله‌های راهنما به این پرسش پاسخ بدهند. آیا منظورتان یکی از این‌هاست؟',
    suggestOutro: (contact) => `اگر نه، می‌توانید با ${contact} تماس بگیرید.`,
  },
  he: {
    names: { en: 'אנגלית', zh: 'סינית' },
    supportTeam: detailsAfter('שירות הלקוחות שלנו'),
    refusal: (contact) => `מצטערים, לא מצאתי במאמרי העזרה שלנו תשובה אמינה לשאלה הזו, ואני מעדיף לא לנחש. אפשר לנסח את השאלה מחדש, או לפנות אל ${contact}.`,
    extractiveNotice: (source) => `התשובה הזו מצוטטת ישירות ממאמרי העזרה שלנו, הכתובים ב${source} (ללא טקסט שנוצר אוטומטית).`,
    fallbackNotice: (source) => `תשובות שנוצרות אוטומטית אינן זמינות כרגע; זהו ציטוט ישיר ממאמרי העזרה ב${source}.`,
    detailsHandoff: (contact) => ` נטפל בזה ברגע שנקבל את הפרטים; אפשר גם לפנות אל ${contact}.`,
    curatedFallbackNotice: 'תשובות שנוצרות אוטומטית אינן זמינות כרגע; זוהי תשובה שהוכנה מראש על ידי צוות התמיכה.',
    sourcesHeading: 'מקורות:',
    suggestIntro: 'אני לא בטוח שמאמרי העזרה שלנו עונים על השאלה הזו. האם התכוונת לאחת מאלה?',
    suggestOutro: (contact) => `אם לא, אפשר לפנות אל ${contact}.`,
  },
  th: {
    names: { en: 'ภาษาอังกฤษ', zh: 'ภาษาจีน' },
    supportTeam: detailsInBrackets('ฝ่ายบริการลูกค้าของเรา'),
    refusal: (contact) => `ขออภัย ฉันไม่พบข้อมูลในบทความช่วยเหลือที่ตอบคำถามนี้ได้อย่างน่าเชื่อถือ และไม่อยากเดาคำตอบ คุณสามารถลองถามใหม่ด้วยถ้อยคำอื่น หรือติดต่อ${contact}`,
    extractiveNotice: (source) => `คำตอบนี้ยกมาจากบทความช่วยเหลือโดยตรง ซึ่งเขียนเป็น${source} (ไม่ใช่ข้อความที่สร้างขึ้น)`,
    fallbackNotice: (source) => `ขณะนี้ไม่สามารถสร้างคำตอบได้ ข้อความนี้ยกมาจากบทความช่วยเหลือ${source}โดยตรง`,
    detailsHandoff: (contact) => ` เราจะดำเนินการให้ทันทีที่ได้รับข้อมูล หรือคุณสามารถติดต่อ${contact} ได้โดยตรง`,
    curatedFallbackNotice: 'ขณะนี้ไม่สามารถสร้างคำตอบได้ นี่คือคำตอบที่ทีมสนับสนุนเตรียมไว้ล่วงหน้า',
    sourcesHeading: 'แหล่งที่มา:',
    suggestIntro: 'ฉันไม่แน่ใจว่าบทความช่วยเหลือตอบคำถามนี้ได้ คุณหมายถึงคำถามใดคำถามหนึ่งต่อไปนี้หรือไม่',
    suggestOutro: (contact) => `หากไม่ใช่ คุณสามารถติดต่อ${contact}`,
  },
  vi: {
    names: { en: 'tiếng Anh', zh: 'tiếng Trung' },
    supportTeam: detailsAfter('bộ phận chăm sóc khách hàng của chúng tôi'),
    refusal: (contact) =>
      `Xin lỗi, tôi không tìm thấy nội dung nào trong các bài viết hỗ trợ trả lời đáng tin cậy cho câu hỏi này và tôi không muốn đoán. Bạn có thể diễn đạt lại câu hỏi hoặc liên hệ ${contact}.`,
    extractiveNotice: (source) => `Câu trả lời này được trích nguyên văn từ các bài viết hỗ trợ, vốn được viết bằng ${source} (không phải văn bản do máy tạo).`,
    fallbackNotice: (source) => `Hiện không thể tạo câu trả lời; nội dung dưới đây được trích trực tiếp từ các bài viết hỗ trợ bằng ${source}.`,
    detailsHandoff: (contact) => ` Chúng tôi sẽ xử lý ngay khi nhận được thông tin; bạn cũng có thể liên hệ ${contact}.`,
    curatedFallbackNotice: 'Hiện không thể tạo câu trả lời; đây là câu trả lời do đội ngũ hỗ trợ soạn sẵn.',
    sourcesHeading: 'Nguồn:',
    suggestIntro: 'Tôi không chắc các bài viết hỗ trợ trả lời được câu hỏi này. Có phải bạn muốn hỏi một trong những câu sau?',
    suggestOutro: (contact) => `Nếu không phải, bạn có thể liên hệ ${contact}.`,
  },
  id: {
    names: { en: 'bahasa Inggris', zh: 'bahasa Mandarin' },
    supportTeam: detailsAfter('tim layanan pelanggan kami'),
    refusal: (contact) =>
      `Maaf, saya tidak menemukan informasi di artikel bantuan kami yang dapat menjawab pertanyaan ini dengan andal, dan saya tidak ingin menebak. Anda dapat menyusun ulang pertanyaan, atau menghubungi ${contact}.`,
    extractiveNotice: (source) => `Jawaban ini dikutip langsung dari artikel bantuan kami yang ditulis dalam ${source} (bukan teks buatan mesin).`,
    fallbackNotice: (source) => `Jawaban otomatis sedang tidak tersedia; ini kutipan langsung dari artikel bantuan dalam ${source}.`,
    detailsHandoff: (contact) => ` Kami akan menindaklanjutinya begitu informasinya kami terima; Anda juga dapat menghubungi ${contact}.`,
    curatedFallbackNotice: 'Jawaban otomatis sedang tidak tersedia; ini jawaban yang telah disiapkan tim dukungan kami.',
    sourcesHeading: 'Sumber:',
    suggestIntro: 'Saya tidak yakin artikel bantuan kami menjawab pertanyaan ini. Apakah maksud Anda salah satu dari ini?',
    suggestOutro: (contact) => `Jika bukan, Anda dapat menghubungi ${contact}.`,
  },
  ms: {
    names: { en: 'bahasa Inggeris', zh: 'bahasa Cina' },
    supportTeam: detailsAfter('pasukan khidmat pelanggan kami'),
    refusal: (contact) =>
      `Maaf, saya tidak menemui maklumat dalam artikel bantuan kami yang dapat menjawab soalan ini dengan pasti, dan saya tidak mahu meneka. Anda boleh menyusun semula soalan, atau menghubungi ${contact}.`,
    extractiveNotice: (source) => `Jawapan ini dipetik terus daripada artikel bantuan kami yang ditulis dalam ${source} (bukan teks janaan mesin).`,
    fallbackNotice: (source) => `Jawapan janaan tidak tersedia buat masa ini; ini petikan terus daripada artikel bantuan dalam ${source}.`,
    detailsHandoff: (contact) => ` Kami akan menguruskannya sebaik sahaja maklumat itu diterima; anda juga boleh menghubungi ${contact}.`,
    curatedFallbackNotice: 'Jawapan janaan tidak tersedia buat masa ini; ini jawapan yang disediakan oleh pasukan sokongan kami.',
    sourcesHeading: 'Sumber:',
    suggestIntro: 'Saya tidak pasti artikel bantuan kami menjawab soalan ini. Adakah maksud anda salah satu daripada ini?',
    suggestOutro: (contact) => `Jika bukan, anda boleh menghubungi ${contact}.`,
  },
  ja: {
    names: { en: '英語', zh: '中国語' },
    supportTeam: detailsInBrackets('サポート窓口', ['（', '、', '）']),
    refusal: (contact) =>
      `申し訳ありません。ヘルプ記事の中に、このご質問に確実にお答えできる内容が見つかりませんでした。推測でのお答えは控えます。言い換えて再度ご質問いただくか、${contact}までお問い合わせください。`,
    extractiveNotice: (source) => `この回答は${source}で書かれたヘルプ記事からそのまま引用したものです（生成されたテキストではありません）。`,
    fallbackNotice: (source) => `現在、回答を生成できません。以下は${source}のヘルプ記事からの直接の引用です。`,
    detailsHandoff: (contact) => `情報をいただき次第、対応いたします。${contact}に直接お問い合わせいただくこともできます。`,
    curatedFallbackNotice: '現在、回答を生成できません。以下はサポートチームがあらかじめ用意した回答です。',
    sourcesHeading: '出典：',
    suggestIntro: 'ヘルプ記事がこのご質問に答えているか確かではありません。次のいずれかのご質問でしょうか？',
    suggestOutro: (contact) => `該当しない場合は、${contact}までお問い合わせください。`,
  },
  ko: {
    names: { en: '영어', zh: '중국어' },
    supportTeam: detailsInBrackets('고객센터', ['(', ', ', ')']),
    refusal: (contact) => `죄송합니다. 도움말 문서에서 이 질문에 확실하게 답할 수 있는 내용을 찾지 못했으며, 추측으로 답하고 싶지 않습니다. 질문을 바꿔서 다시 하시거나 ${contact}에 문의해 주세요.`,
    extractiveNotice: (source) => `이 답변은 ${source}로 작성된 도움말 문서에서 그대로 인용한 것입니다(생성된 텍스트가 아님).`,
    fallbackNotice: (source) => `지금은 답변을 생성할 수 없습니다. 아래는 ${source} 도움말 문서에서 그대로 인용한 내용입니다.`,
    detailsHandoff: (contact) => ` 정보를 받는 대로 처리해 드리겠습니다. ${contact}에 직접 문의하셔도 됩니다.`,
    curatedFallbackNotice: '지금은 답변을 생성할 수 없습니다. 아래는 지원팀이 미리 준비한 답변입니다.',
    sourcesHeading: '출처:',
    suggestIntro: '도움말 문서에 이 질문에 대한 답이 있는지 확실하지 않습니다. 다음 중 하나를 물어보신 건가요?',
    suggestOutro: (contact) => `해당하지 않으면 ${contact}에 문의해 주세요.`,
  },
  es: {
    names: { en: 'inglés', zh: 'chino' },
    supportTeam: detailsAfter('nuestro equipo de atención al cliente'),
    refusal: (contact) =>
      `Lo siento, no he encontrado en nuestros artículos de ayuda nada que responda a esto con seguridad, y prefiero no adivinar. Puede reformular la pregunta o ponerse en contacto con ${contact}.`,
    extractiveNotice: (source) => `Esta respuesta es una cita literal de nuestros artículos de ayuda, que están escritos en ${source} (sin texto generado).`,
    fallbackNotice: (source) => `Las respuestas generadas no están disponibles en este momento; esto es una cita literal de nuestros artículos de ayuda en ${source}.`,
    detailsHandoff: (contact) => ` Lo revisaremos en cuanto tengamos esos datos; también puede ponerse en contacto con ${contact}.`,
    curatedFallbackNotice: 'Las respuestas generadas no están disponibles en este momento; esta es una respuesta preparada por nuestro equipo de soporte.',
    sourcesHeading: 'Fuentes:',
    suggestIntro: 'No estoy seguro de que nuestros artículos de ayuda respondan a esto. ¿Quería preguntar alguna de estas?',
    suggestOutro: (contact) => `Si no, puede contactar con ${contact}.`,
  },
  pt: {
    names: { en: 'inglês', zh: 'chinês' },
    supportTeam: detailsAfter('a nossa equipa de apoio ao cliente'),
    refusal: (contact) => `Desculpe, não encontrei nos nossos artigos de ajuda nada que responda a isto com segurança, e prefiro não adivinhar. Pode reformular a pergunta ou contactar ${contact}.`,
    extractiveNotice: (source) => `Esta resposta é citada diretamente dos nossos artigos de ajuda, escritos em ${source} (sem texto gerado).`,
    fallbackNotice: (source) => `As respostas geradas não estão disponíveis neste momento; isto é uma citação direta dos nossos artigos de ajuda em ${source}.`,
    detailsHandoff: (contact) => ` Trataremos do assunto assim que recebermos esses dados; também pode contactar ${contact}.`,
    curatedFallbackNotice: 'As respostas geradas não estão disponíveis neste momento; esta é uma resposta preparada pela nossa equipa de apoio.',
    sourcesHeading: 'Fontes:',
    suggestIntro: 'Não tenho a certeza de que os nossos artigos de ajuda respondam a isto. Queria perguntar alguma destas?',
    suggestOutro: (contact) => `Se não, pode contactar ${contact}.`,
  },
  fr: {
    names: { en: 'anglais', zh: 'chinois' },
    supportTeam: detailsAfter('notre service client', ', ', ' : '),
    refusal: (contact) =>
      `Désolé, je n'ai rien trouvé dans nos articles d'aide qui réponde de façon fiable à cette question, et je préfère ne pas deviner. Vous pouvez reformuler la question ou contacter ${contact}.`,
    extractiveNotice: (source) => `Cette réponse est citée telle quelle de nos articles d'aide, rédigés en ${source} (aucun texte généré).`,
    fallbackNotice: (source) => `Les réponses générées sont indisponibles pour le moment ; voici une citation directe de nos articles d'aide en ${source}.`,
    detailsHandoff: (contact) => ` Nous nous en occuperons dès réception de ces informations ; vous pouvez aussi contacter ${contact}.`,
    curatedFallbackNotice: 'Les réponses générées sont indisponibles pour le moment ; voici une réponse préparée par notre équipe d’assistance.',
    sourcesHeading: 'Sources :',
    suggestIntro: 'Je ne suis pas sûr que nos articles d’aide répondent à cette question. Vouliez-vous demander l’une de celles-ci ?',
    suggestOutro: (contact) => `Sinon, vous pouvez contacter ${contact}.`,
  },
  de: {
    names: { en: 'Englisch', zh: 'Chinesisch' },
    supportTeam: detailsInBrackets('unseren Kundenservice'),
    refusal: (contact) =>
      `Entschuldigung, in unseren Hilfeartikeln habe ich nichts gefunden, das diese Frage zuverlässig beantwortet, und ich möchte nicht raten. Sie können die Frage anders formulieren oder sich an ${contact} wenden.`,
    extractiveNotice: (source) => `Diese Antwort ist wörtlich aus unseren Hilfeartikeln zitiert, die auf ${source} verfasst sind (kein generierter Text).`,
    fallbackNotice: (source) => `Generierte Antworten sind gerade nicht verfügbar; dies ist ein wörtliches Zitat aus unseren Hilfeartikeln auf ${source}.`,
    detailsHandoff: (contact) => ` Wir kümmern uns darum, sobald uns die Angaben vorliegen; Sie können sich auch an ${contact} wenden.`,
    curatedFallbackNotice: 'Generierte Antworten sind gerade nicht verfügbar; dies ist eine vorbereitete Antwort unseres Support-Teams.',
    sourcesHeading: 'Quellen:',
    suggestIntro: 'Ich bin nicht sicher, ob unsere Hilfeartikel das beantworten. Meinten Sie eine dieser Fragen?',
    suggestOutro: (contact) => `Falls nicht, können Sie sich an ${contact} wenden.`,
  },
  ru: {
    names: { en: 'английском языке', zh: 'китайском языке' },
    supportTeam: detailsAfter('нашу службу поддержки'),
    refusal: (contact) =>
      `К сожалению, в наших справочных статьях я не нашёл ничего, что надёжно отвечает на этот вопрос, и не хочу гадать. Вы можете переформулировать вопрос или обратиться в ${contact}.`,
    extractiveNotice: (source) => `Этот ответ дословно процитирован из наших справочных статей, написанных на ${source} (без сгенерированного текста).`,
    fallbackNotice: (source) => `Сгенерированные ответы сейчас недоступны; это прямая цитата из наших справочных статей на ${source}.`,
    detailsHandoff: (contact) => ` Мы займёмся этим, как только получим эти данные; вы также можете обратиться в ${contact}.`,
    curatedFallbackNotice: 'Сгенерированные ответы сейчас недоступны; это ответ, заранее подготовленный нашей службой поддержки.',
    sourcesHeading: 'Источники:',
    suggestIntro: 'Я не уверен, что в наших справочных статьях есть ответ на этот вопрос. Возможно, вы имели в виду один из этих?',
    suggestOutro: (contact) => `Если нет, вы можете обратиться в ${contact}.`,
  },
  tr: {
    names: { en: 'İngilizce', zh: 'Çince' },
    supportTeam: detailsInBrackets('müşteri hizmetlerimiz'),
    refusal: (contact) =>
      `Üzgünüm, yardım makalelerimizde bu soruyu güvenilir biçimde yanıtlayan bir şey bulamadım ve tahmin yürütmek istemiyorum. Soruyu farklı şekilde sorabilir veya ${contact} ile iletişime geçebilirsiniz.`,
    extractiveNotice: (source) => `Bu yanıt, ${source} yazılmış yardım makalelerimizden olduğu gibi alıntılanmıştır (üretilmiş metin değildir).`,
    fallbackNotice: (source) => `Üretilmiş yanıtlar şu anda kullanılamıyor; bu, ${source} yardım makalelerimizden doğrudan bir alıntıdır.`,
    detailsHandoff: (contact) => ` Bu bilgiler bize ulaşır ulaşmaz ilgileneceğiz; ${contact} ile de iletişime geçebilirsiniz.`,
    curatedFallbackNotice: 'Üretilmiş yanıtlar şu anda kullanılamıyor; bu, destek ekibimizin önceden hazırladığı bir yanıttır.',
    sourcesHeading: 'Kaynaklar:',
    suggestIntro: 'Yardım makalelerimizin bu soruyu yanıtladığından emin değilim. Şunlardan birini mi sormak istediniz?',
    suggestOutro: (contact) => `Değilse ${contact} ile iletişime geçebilirsiniz.`,
  },
};

const KB: Record<KbLanguage, LocalizedMessages> = {
  zh: {
    refusal: MESSAGES.refusal.zh,
    extractiveNotice: () => MESSAGES.extractiveNotice.zh,
    fallbackNotice: () => MESSAGES.fallbackNotice.zh,
    detailsHandoff: MESSAGES.detailsHandoff.zh,
    curatedFallbackNotice: MESSAGES.curatedFallbackNotice.zh,
    sourcesHeading: MESSAGES.sourcesHeading.zh,
    suggest: MESSAGES.suggest.zh,
  },
  en: {
    refusal: MESSAGES.refusal.en,
    extractiveNotice: () => MESSAGES.extractiveNotice.en,
    fallbackNotice: () => MESSAGES.fallbackNotice.en,
    detailsHandoff: MESSAGES.detailsHandoff.en,
    curatedFallbackNotice: MESSAGES.curatedFallbackNotice.en,
    sourcesHeading: MESSAGES.sourcesHeading.en,
    suggest: MESSAGES.suggest.en,
  },
};

/** The languages with their own texts (the rest fall back to English). */
export const CATALOGUE_LANGUAGES: readonly LanguageCode[] = [...Object.keys(KB), ...TRANSLATED_LANGUAGES];

/** The service's own texts for a customer writing in `lang`; English for a language without a translation. */
export function messagesFor(lang: LanguageCode): LocalizedMessages {
  if (isKbLanguage(lang)) return KB[lang];
  if (!isTranslatedLanguage(lang)) return KB.en;
  const translation = TRANSLATIONS[lang];
  return {
    ...translation,
    extractiveNotice: (source) => translation.extractiveNotice(translation.names[source]),
    fallbackNotice: (source) => translation.fallbackNotice(translation.names[source]),
    suggest: (suggestions, contact) => [translation.suggestIntro, ...suggestions.map((text, index) => `${index + 1}. ${text}`), translation.suggestOutro(contact)].join('\n'),
  };
}

/** "Our support team" in `lang`, with `details` (numbers, addresses) that need no translation: a contact for its sentences. */
export function supportTeamContact(lang: TranslatedLanguage, details: readonly string[]): string {
  return TRANSLATIONS[lang].supportTeam(details);
}

const englishNames = new Intl.DisplayNames(['en'], { type: 'language' });

/** The language's English name ("Thai"), for prompts; the code itself when the runtime does not know it. */
export function languageName(lang: LanguageCode): string {
  try {
    return englishNames.of(lang) ?? lang;
  } catch {
    return lang;
  }
}

/**
 * Added to the prompt when the customer writes in a language the knowledge base is not in: the model answers
 * in the customer's language from sources in another (Qwen3 follows such an instruction; it is checked after).
 */
export function answerLanguageNote(lang: LanguageCode): string {
  const name = languageName(lang);
  return `Note: the customer wrote in ${name}. Write your whole answer in ${name}, although the sources are in another language; keep product names, numbers and the [n] citation markers exactly as they are.`;
}

/**
 * The language a generated answer is in when it is not the customer's (undefined when it is, or when the answer
 * is too short to tell). Citation markers, URLs and Latin product names do not count as words of the answer.
 */
export function wrongAnswerLanguage(answer: string, expected: LanguageCode): LanguageCode | undefined {
  if (isKbLanguage(expected)) return undefined;
  const text = answer.replace(/\[\d+\]/g, ' ').replace(/https?:\/\/\S+/g, ' ');
  if ((text.match(/\p{L}/gu)?.length ?? 0) < 12) return undefined;
  const got = identifyLanguage(text);
  // Indonesian and Malay: one language to the identifier (docs/operations.md "Languages"), and to most readers.
  const malay = (code: string) => code === 'id' || code === 'ms';
  return got === expected || (malay(got) && malay(expected)) ? undefined : got;
}
